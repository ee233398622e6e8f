/**
 * The index's schema, as numbered migrations. A database records the last one applied in
 * `meta.schema_version`; opening runs the missing ones in one transaction, and refuses a
 * database from a newer claw-trace or one that is not claw-trace's.
 *
 * Records keep the columns lookups use and (since schema 5) their raw line in a compressed block;
 * the full LogRecord is derived again by the (pure) parser from the raw line with the file's
 * stored format and options, so the index holds no second copy that could disagree with the line.
 */
import { connKey, type IdPage, PageWriter } from './idPages.js';
import { ID_KIND } from './idRuns.js';
import type Database from './sqlite.js';

export type Migration = string | ((db: Database.Database) => void);

export const MIGRATIONS: readonly Migration[] = [
  // 1: files and their checkpoints, records, bounded parse-error samples, traces and diagnoses.
  `
  CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL,
    dev         INTEGER,
    ino         INTEGER,
    fp_len      INTEGER NOT NULL,            -- bytes of the head that fp_hash covers (<= 1024)
    fp_hash     TEXT    NOT NULL,            -- sha1 of the first fp_len bytes (decompressed)
    format      TEXT    NOT NULL,
    region      TEXT,                        -- the region label of the host the file is from
    options     TEXT    NOT NULL DEFAULT '{}', -- parser options (log_format, zone, ...) as JSON
    offset      INTEGER NOT NULL DEFAULT 0,  -- checkpoint: bytes read, always at a line start
    line_no     INTEGER NOT NULL DEFAULT 0,  -- checkpoint: lines read
    lines_cut   INTEGER NOT NULL DEFAULT 0,  -- lines over the length limit (counted, not stored)
    gaps        INTEGER NOT NULL DEFAULT 0,  -- copytruncate resets: lines may be missing here
    updated_at  INTEGER NOT NULL
  );
  CREATE INDEX files_inode ON files(dev, ino);
  CREATE INDEX files_fingerprint ON files(fp_len, fp_hash);

  -- id = file_id << 40 | byte offset: the line's place, and one row per line by construction.
  CREATE TABLE records (
    id          INTEGER PRIMARY KEY,
    line_no     INTEGER NOT NULL,
    time        INTEGER NOT NULL,            -- epoch ms (UTC)
    source      TEXT    NOT NULL,
    request_id  TEXT,
    trace_id    TEXT,
    conn        INTEGER,                     -- nginx $connection / error-log *N
    status      INTEGER,
    error_kind  TEXT,
    raw         TEXT    NOT NULL
  );
  CREATE INDEX records_request ON records(request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX records_trace ON records(trace_id) WHERE trace_id IS NOT NULL;
  CREATE INDEX records_time ON records(time);
  -- Lookups by status are for failures.
  CREATE INDEX records_status ON records(status, time) WHERE status >= 400;
  -- Error and gateway lines around a request (the joins): few next to access lines, so cheap.
  CREATE INDEX records_side ON records(source, time) WHERE source NOT IN ('nginx-access', 'caddy-access');

  CREATE TABLE parse_errors (
    file_id     INTEGER NOT NULL REFERENCES files(id),
    reason      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (file_id, reason)
  ) WITHOUT ROWID;
  CREATE TABLE parse_error_samples (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES files(id),
    offset      INTEGER NOT NULL,
    line_no     INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    line        TEXT    NOT NULL             -- the first 512 characters
  );

  CREATE TABLE traces (
    trace_id    TEXT    PRIMARY KEY,
    request_id  TEXT,
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL,
    status      INTEGER,
    region      TEXT,
    data        TEXT    NOT NULL
  );
  CREATE INDEX traces_request ON traces(request_id);
  CREATE INDEX traces_start ON traces(start);
  CREATE TABLE diagnoses (
    trace_id    TEXT    NOT NULL REFERENCES traces(trace_id),
    cause       TEXT    NOT NULL,
    confidence  REAL    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (trace_id, cause)
  ) WITHOUT ROWID;
  `,
  // 2: the export's change log (the outbox is a database of its own: see export/outbox.ts).
  `
  -- One row per committed batch (a range of one file's records): what the exporter follows.
  CREATE TABLE batches (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the exporter's cursor points past deleted rows
    first_id     INTEGER NOT NULL,           -- records.id of the batch's first and last line
    last_id      INTEGER NOT NULL,
    committed_at INTEGER NOT NULL
  );
  -- Names this index, so state kept beside it (the export cursor) is not applied to another one.
  INSERT INTO meta (key, value) VALUES ('index_id', lower(hex(randomblob(16))));
  `,
  // 3: whether an access line's request asked for a WebSocket upgrade (a failed upgrade can be a
  // 200: the gateway answers a plain GET on its WebSocket path; `5xx` must still find it).
  `
  ALTER TABLE records ADD COLUMN upgrade INTEGER;
  `,
  // 4: the request- and trace-ID indexes become sorted runs appended per commit (see idRuns.ts):
  // a B-tree on a random key rewrote a page per ID at every commit (37x the log bytes written).
  // What was indexed becomes one run, read in key order from the old index.
  `
  CREATE TABLE id_runs (
    run         INTEGER PRIMARY KEY,         -- in the order they were made
    entries     INTEGER NOT NULL,
    min_time    INTEGER,                     -- the log time of its oldest and newest record
    max_time    INTEGER,
    state       INTEGER NOT NULL DEFAULT 0   -- 0 readable, 1 being built by a merge, 2 retired (entries being deleted)
  );
  -- The merges in progress (one per size class at most): target run, sources, how far copied.
  CREATE TABLE id_merge (
    target      INTEGER PRIMARY KEY,
    sources     TEXT    NOT NULL,            -- JSON array of run numbers
    kind        INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    record      INTEGER NOT NULL
  );
  CREATE TABLE ids (
    run         INTEGER NOT NULL,
    kind        INTEGER NOT NULL,            -- 0 request ID (cut at 256 characters), 1 trace ID
    key         TEXT    NOT NULL,
    record      INTEGER NOT NULL,            -- records.id
    PRIMARY KEY (run, kind, key, record)
  ) WITHOUT ROWID;
  INSERT INTO id_runs (run, entries, min_time, max_time)
    SELECT 1, count(request_id) + count(trace_id), min(time), max(time) FROM records WHERE request_id IS NOT NULL OR trace_id IS NOT NULL HAVING count(*) > 0;
  INSERT INTO ids (run, kind, key, record)
    SELECT 1, 0, request_id, id FROM records WHERE request_id IS NOT NULL ORDER BY request_id, id;
  INSERT INTO ids (run, kind, key, record)
    SELECT 1, 1, trace_id, id FROM records WHERE trace_id IS NOT NULL ORDER BY trace_id, id;
  DROP INDEX IF EXISTS records_request;
  DROP INDEX IF EXISTS records_trace;
  `,
  // 5: raw lines in compressed blocks (see lineBlocks.ts): records written from now on keep an
  // empty raw; those written before keep theirs inline (read as they are, gone with retention).
  `
  CREATE TABLE blocks (
    first_id    INTEGER PRIMARY KEY,         -- records.id of its first line (file << 40 | offset)
    last_id     INTEGER NOT NULL,            -- and of its last
    max_time    INTEGER NOT NULL,            -- its newest line's log time (retention)
    data        BLOB    NOT NULL             -- deflated lines (lineBlocks.ts)
  );
  CREATE INDEX blocks_time ON blocks(max_time);
  `,
  // 6: rows only for the lines worth a row (see rowless.ts): an access line answered 100-399 (not
  // 101) that asked for no upgrade lives in its block alone, found by its IDs (the ID runs), by
  // time (the blocks' time span) and counted per second (traffic). Blocks written from now on
  // carry their first line's number and which of their lines have no row (in the payload).
  `
  ALTER TABLE blocks ADD COLUMN min_time INTEGER;  -- its oldest line's log time (NULL: written before schema 6)
  ALTER TABLE blocks ADD COLUMN line_no INTEGER;   -- its first line's number (NULL: a schema-5 block: deflate, every line has a row; else Brotli)
  ALTER TABLE blocks ADD COLUMN rowless INTEGER NOT NULL DEFAULT 0; -- how many of its lines have no records row
  CREATE INDEX blocks_rowless_min ON blocks(min_time) WHERE rowless > 0;
  CREATE INDEX blocks_rowless_max ON blocks(max_time) WHERE rowless > 0;
  -- The lines without a row, per block and second of log time: what counts of traffic read (the
  -- block's file is first_id >> 40); deleted with their block, so a count never holds a line gone.
  CREATE TABLE traffic (
    first_id    INTEGER NOT NULL,            -- blocks.first_id
    second      INTEGER NOT NULL,            -- floor(time / 1000)
    n           INTEGER NOT NULL,
    PRIMARY KEY (first_id, second)
  ) WITHOUT ROWID;
  CREATE INDEX traffic_second ON traffic(second);
  -- The connection numbers of plain nginx access lines (no row): the join with error lines on the
  -- same connection (a 200 whose body was cut). nginx counts connections up, so both trees append.
  CREATE TABLE conns (
    record      INTEGER PRIMARY KEY,         -- records.id of the line (file << 40 | offset)
    conn        INTEGER NOT NULL,
    time        INTEGER NOT NULL             -- its log time: a connection number repeats (restarts, hosts, keepalive)
  );
  CREATE INDEX conns_conn ON conns(conn, time);
  `,
  // 7: the ID runs' entries packed in pages (idPages.ts), a row per ~80 entries instead of one
  // per entry; the connections of plain nginx lines become entries of the runs (kind 2).
  toIdPages,
];

/** Runs migration `v` (0-based) on `db`. */
export function applyMigration(db: Database.Database, v: number): void {
  const m = MIGRATIONS[v]!;
  if (typeof m === 'string') db.exec(m);
  else m(db);
}

/** `b` with each WTF-8 surrogate (ED A0-BF xx) as U+FFFD (EF BF BD); undefined if it has none. */
function withoutSurrogates(b: Uint8Array): Uint8Array | undefined {
  let out: number[] | undefined;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0xed && i + 2 < b.length && b[i + 1]! >= 0xa0 && b[i + 1]! <= 0xbf) {
      out ??= [...b.subarray(0, i)];
      out.push(0xef, 0xbf, 0xbd);
      i += 2;
    } else out?.push(b[i]!);
  }
  return out === undefined ? undefined : Uint8Array.from(out);
}

/**
 * Schema 7: every readable run's entries, read in their order (SQLite compares TEXT keys as
 * their UTF-8 bytes, the pages' order), packed into pages; the connections one run of their own.
 * Merges in progress are dropped (their sources are still readable; the next commits start them
 * again), retired runs' entries with them.
 */
function toIdPages(db: Database.Database): void {
  db.exec(`
  CREATE TABLE id_pages (
    run         INTEGER NOT NULL,            -- id_runs.run
    kind        INTEGER NOT NULL,            -- 0 request ID, 1 trace ID, 2 connection (idRuns.ts ID_KIND)
    last_key    BLOB    NOT NULL,            -- the page's last entry: its key and record
    last_record INTEGER NOT NULL,
    n           INTEGER NOT NULL,            -- entries in the page
    data        BLOB    NOT NULL             -- the entries (idPages.ts)
  );
  CREATE INDEX id_pages_key ON id_pages(run, kind, last_key, last_record);
  DELETE FROM id_runs WHERE state <> 0;
  `);
  const insert = db.prepare(
    `INSERT INTO id_pages (run, kind, last_key, last_record, n, data) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const put = (run: number, pages: IdPage[]) => {
    for (const p of pages) insert.run(run, p.kind, p.lastKey, p.lastRecord, p.n, p.data);
  };
  // A run at a time, 50,000 entries a read (a run can hold millions: its pages are written as
  // they fill, not held), from the last entry read on (its key's bytes: a string read back from
  // a key with a lone surrogate does not compare as it is stored).
  const entries = db
    .prepare(
      `SELECT kind, CAST(key AS BLOB) AS k, record FROM ids WHERE run = ? AND (kind, key, record) > (?, CAST(? AS TEXT), ?)
      ORDER BY kind, key, record LIMIT 50000`,
    )
    .safeIntegers();
  // better-sqlite3 12 (Node 20) stored a lone surrogate as WTF-8; keys are UTF-8 now, with U+FFFD
  // for it (prepare.ts wellFormed). Such entries sort elsewhere then: they make a run of their own.
  const moved: { kind: number; key: Uint8Array; record: bigint }[] = [];
  const movedFrom = new Map<number, number>();
  for (const run of db.prepare(`SELECT run FROM id_runs ORDER BY run`).pluck().all() as number[]) {
    const w = new PageWriter();
    let after: [bigint, Uint8Array, bigint] = [-1n, new Uint8Array(0), 0n];
    for (;;) {
      const rows = entries.all(run, ...after) as { kind: bigint; k: Uint8Array; record: bigint }[];
      for (const e of rows) {
        const fixed = withoutSurrogates(e.k);
        if (fixed === undefined) w.pushKey(Number(e.kind), e.k, e.record);
        else {
          moved.push({ kind: Number(e.kind), key: fixed, record: e.record });
          movedFrom.set(run, (movedFrom.get(run) ?? 0) + 1);
        }
      }
      put(run, w.take());
      if (rows.length < 50000) break;
      const last = rows[rows.length - 1]!;
      after = [last.kind, last.k, last.record];
    }
    put(run, w.finish());
  }
  if (moved.length > 0) {
    const span = db
      .prepare(
        `SELECT min(min_time) AS lo, max(max_time) AS hi FROM id_runs WHERE run IN (SELECT value FROM json_each(?))`,
      )
      .get(JSON.stringify([...movedFrom.keys()])) as { lo: number | null; hi: number | null };
    for (const [run, n] of movedFrom) db.prepare(`UPDATE id_runs SET entries = entries - ? WHERE run = ?`).run(n, run);
    db.exec(`DELETE FROM id_runs WHERE entries <= 0 AND run NOT IN (SELECT run FROM id_pages)`);
    moved.sort(
      (a, b) =>
        a.kind - b.kind || Buffer.compare(a.key, b.key) || (a.record < b.record ? -1 : a.record > b.record ? 1 : 0),
    );
    const run = Number(
      db
        .prepare(`INSERT INTO id_runs (entries, min_time, max_time, state) VALUES (?, ?, ?, 0)`)
        .run(moved.length, span.lo, span.hi).lastInsertRowid,
    );
    const w = new PageWriter();
    for (const e of moved) w.pushKey(e.kind, e.key, e.record);
    put(run, w.finish());
  }
  // The rows' IDs alike (rows are read by `request_id = ?` with the well-formed key).
  const fix = db.prepare(`UPDATE records SET request_id = CAST(? AS TEXT), trace_id = CAST(? AS TEXT) WHERE id = ?`);
  for (const r of db
    .prepare(
      `SELECT id, CAST(request_id AS BLOB) AS rid, CAST(trace_id AS BLOB) AS tid FROM records
      WHERE instr(CAST(request_id AS BLOB), X'ED') > 0 OR instr(CAST(trace_id AS BLOB), X'ED') > 0`,
    )
    .safeIntegers()
    .all() as { id: bigint; rid: Uint8Array | null; tid: Uint8Array | null }[]) {
    const rid = r.rid && (withoutSurrogates(r.rid) ?? r.rid);
    const tid = r.tid && (withoutSurrogates(r.tid) ?? r.tid);
    fix.run(rid, tid, r.id);
  }
  const conns = db.prepare(`SELECT count(*) AS n, min(time) AS lo, max(time) AS hi FROM conns`).get() as {
    n: number;
    lo: number | null;
    hi: number | null;
  };
  if (conns.n > 0) {
    const run = Number(
      db
        .prepare(`INSERT INTO id_runs (entries, min_time, max_time, state) VALUES (?, ?, ?, 0)`)
        .run(conns.n, conns.lo, conns.hi).lastInsertRowid,
    );
    const w = new PageWriter();
    const rows = db
      .prepare(
        `SELECT record, conn, time FROM conns WHERE (conn, time, record) > (?, ?, ?) ORDER BY conn, time, record LIMIT 50000`,
      )
      .safeIntegers();
    let after: bigint[] = [-1n, 0n, 0n];
    for (;;) {
      const batch = rows.all(...after) as { record: bigint; conn: bigint; time: bigint }[];
      for (const c of batch) w.pushKey(ID_KIND.conn, connKey(Number(c.conn), Number(c.time)), c.record);
      put(run, w.take());
      if (batch.length < 50000) break;
      const last = batch[batch.length - 1]!;
      after = [last.conn, last.time, last.record];
    }
    put(run, w.finish());
  }
  db.exec(`
  DROP TABLE ids;
  DROP TABLE conns;
  DROP TABLE id_merge;
  CREATE TABLE id_merge (
    target      INTEGER PRIMARY KEY,         -- the run being built
    sources     TEXT    NOT NULL,            -- JSON array of run numbers
    kind        INTEGER NOT NULL,            -- the last entry copied (kind -1: none yet)
    key         BLOB    NOT NULL,
    record      INTEGER NOT NULL
  );
  `);
}

export const SCHEMA_VERSION = MIGRATIONS.length;
