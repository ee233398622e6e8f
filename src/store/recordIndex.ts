/**
 * The SQLite index (better-sqlite3, WAL). Guarantee: a batch of records and the checkpoint that
 * covers it are committed in one transaction, so after a crash or kill -9 the index ends exactly
 * where the checkpoint says and reading resumes there: no line lost, none twice.
 */

import { hostname } from 'node:os';
import type { LogRecord, ParseError } from '../../parsers/index.js';
import { BUSY_TIMEOUT_MS, openDatabase, processAlive } from './database.js';
import type Database from './sqlite.js';

// Where they were before the store was split by concern: callers import them from here.
export { createPrivate, IndexOpenError, openDatabase, processAlive } from './database.js';

import { asksForWebSocket } from '../../parsers/record.js';
import { ID_KIND, type IdEntry, IdRuns, READABLE_RUNS, retireRunsBefore } from './idRuns.js';

export interface FileRow {
  id: number;
  path: string;
  dev: number | null;
  ino: number | null;
  fp_len: number;
  fp_hash: string;
  format: string;
  region: string | null;
  options: string;
  offset: number;
  line_no: number;
  lines_cut: number;
  gaps: number;
  /** When the checkpoint last moved (epoch ms). */
  updated_at: number;
}

export interface StoredRecord {
  id: number;
  file_id: number;
  path: string;
  format: string;
  options: string;
  offset: number;
  line_no: number;
  time: number;
  source: string;
  region: string | null;
  request_id: string | null;
  status: number | null;
  error_kind: string | null;
  raw: string;
}

export interface Checkpoint {
  offset: number;
  lineNo: number;
  linesCut: number;
}

/** What the index stores of a parsed line (a LogRecord is one; a parse thread sends plain ones). */
export type RecordFields = Pick<
  LogRecord,
  'time' | 'source' | 'requestId' | 'traceId' | 'connection' | 'status' | 'errorKind' | 'upgrade' | 'offset' | 'lineNo'
>;

export interface BatchLine {
  record: RecordFields;
  raw: string;
}

export interface BatchError {
  error: Pick<ParseError, 'reason' | 'detail'>;
  offset: number;
  lineNo: number;
  line: string;
}

/** A record's row id: its file and byte offset, so a line can only ever be stored once. */
export function recordId(fileId: number, offset: number): bigint {
  return (BigInt(fileId) << 40n) | BigInt(offset);
}
const OFFSET_MASK = (1n << 40n) - 1n;

/** Request IDs longer than this are stored cut (they are client-controlled). */
export const MAX_REQUEST_ID_CHARS = 256;

const INSERT_RECORDS =
  'INSERT INTO records (id, line_no, time, source, request_id, trace_id, conn, status, error_kind, upgrade, raw) VALUES';
const RECORD_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const ROWS_PER_INSERT = 64;

/** A commit's ID entries and the log-time span of its records (the run they make). */
interface RunDraft {
  entries: IdEntry[];
  minTime: number;
  maxTime: number;
}

function pushRecord(args: unknown[], fileId: number, { record: r, raw }: BatchLine, run: RunDraft): void {
  const rid =
    r.requestId !== undefined && r.requestId.length > MAX_REQUEST_ID_CHARS
      ? r.requestId.slice(0, MAX_REQUEST_ID_CHARS)
      : r.requestId;
  const id = recordId(fileId, r.offset!);
  const time = Math.round(r.time);
  args.push(
    id,
    r.lineNo,
    time,
    r.source,
    rid ?? null,
    r.traceId ?? null,
    r.connection ?? null,
    r.status ?? null,
    r.errorKind ?? null,
    asksForWebSocket(r) ? 1 : null,
    raw,
  );
  if (rid !== undefined) run.entries.push({ kind: ID_KIND.request, key: rid, record: id });
  if (r.traceId !== undefined) run.entries.push({ kind: ID_KIND.trace, key: r.traceId, record: id });
  if (rid !== undefined || r.traceId !== undefined) {
    if (time < run.minTime) run.minTime = time;
    if (time > run.maxTime) run.maxTime = time;
  }
}
const SAMPLES_PER_REASON = 20;

/**
 * A row limit written into the SQL, not bound: with `LIMIT ?` SQLite 3.x spends ~20 us per
 * query even when nothing matches (measured: 1.2 us with a literal). Always an integer we made.
 */
function limitOf(n: number): number {
  return Number.isFinite(n) ? Math.min(1_000_000, Math.max(1, Math.floor(n))) : 1000;
}

export class RecordIndex {
  readonly db: Database.Database;
  private readonly st;
  private readonly runs: IdRuns;

  /** One transaction: the records, the unreadable lines, and the checkpoint that covers them. */
  readonly commitBatch: (fileId: number, lines: BatchLine[], errors: BatchError[], cp: Checkpoint) => void;

  constructor(file: string, opts: { cacheMiB?: number; walCheckpointMiB?: number } = {}) {
    this.db = openDatabase(file, opts.cacheMiB, opts.walCheckpointMiB);
    const db = this.db;
    try {
      this.restoreIndexes();
    } catch (e) {
      db.close();
      throw e;
    }
    this.runs = new IdRuns(db);
    this.st = {
      fileByInode: db.prepare(`SELECT * FROM files WHERE dev = ? AND ino = ? ORDER BY id DESC`),
      fileByPrint: db.prepare(`SELECT * FROM files WHERE fp_len = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`),
      shortPrintLengths: db.prepare(`SELECT DISTINCT fp_len FROM files WHERE fp_len < ?`).pluck(),
      insertFile: db.prepare(
        `INSERT INTO files (path, dev, ino, fp_len, fp_hash, format, region, options, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      moveFile: db.prepare(
        `UPDATE files SET path = ?, dev = ?, ino = ?, fp_len = ?, fp_hash = ?, updated_at = ? WHERE id = ?`,
      ),
      checkpoint: db.prepare(
        `UPDATE files SET offset = ?, line_no = ?, lines_cut = lines_cut + ?, updated_at = ? WHERE id = ?`,
      ),
      gap: db.prepare(`UPDATE files SET gaps = gaps + 1 WHERE id = ?`),
      logBatch: db.prepare(`INSERT INTO batches (first_id, last_id, committed_at) VALUES (?, ?, ?)`),
      insertRecord: db.prepare(`${INSERT_RECORDS} ${RECORD_VALUES}`),
      insertRecords: db.prepare(`${INSERT_RECORDS} ${Array(ROWS_PER_INSERT).fill(RECORD_VALUES).join(', ')}`),
      countError: db
        .prepare(`INSERT INTO parse_errors (file_id, reason, count) VALUES (?, ?, 1)
        ON CONFLICT(file_id, reason) DO UPDATE SET count = count + 1 RETURNING count`)
        .pluck(),
      insertSample: db.prepare(
        `INSERT INTO parse_error_samples (file_id, offset, line_no, reason, detail, line) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
    const st = this.st;
    this.commitBatch = db.transaction((fileId: number, lines: BatchLine[], errors: BatchError[], cp: Checkpoint) => {
      // Many rows per statement: binding row by row costs more than SQLite's own work.
      const args: unknown[] = [];
      const run: RunDraft = { entries: [], minTime: Infinity, maxTime: -Infinity };
      let i = 0;
      for (; i + ROWS_PER_INSERT <= lines.length; i += ROWS_PER_INSERT) {
        args.length = 0;
        for (let k = i; k < i + ROWS_PER_INSERT; k++) pushRecord(args, fileId, lines[k]!, run);
        st.insertRecords.run(args);
      }
      for (; i < lines.length; i++) {
        args.length = 0;
        pushRecord(args, fileId, lines[i]!, run);
        st.insertRecord.run(args);
      }
      // The IDs as one sorted run (appended, not scattered over a B-tree), plus a share of merging.
      this.runs.add(run.entries, run.minTime, run.maxTime);
      for (const e of errors) {
        const n = st.countError.get(fileId, e.error.reason) as number;
        if (n <= SAMPLES_PER_REASON)
          st.insertSample.run(fileId, e.offset, e.lineNo, e.error.reason, e.error.detail, e.line.slice(0, 512));
      }
      st.checkpoint.run(cp.offset, cp.lineNo, cp.linesCut, Date.now(), fileId);
      if (lines.length > 0)
        st.logBatch.run(
          recordId(fileId, lines[0]!.record.offset!),
          recordId(fileId, lines[lines.length - 1]!.record.offset!),
          Date.now(),
        );
    });
  }

  close(): void {
    this.db.close();
  }

  /** The index's file (as opened). */
  get file(): string {
    return this.db.name;
  }

  get readonly(): boolean {
    return this.db.readonly;
  }

  /** From now on this connection refuses every write (SQLite's `query_only`): for readers such as the agent's query threads. */
  queryOnly(): void {
    this.db.pragma('query_only = ON');
  }

  /** Runs `f` in one transaction on the index (for a caller's several writes that go together). */
  transaction<T>(f: () => T): T {
    return this.db.transaction(f)();
  }

  /**
   * After records were deleted (retention): retires the ID runs older than every record left and
   * deletes up to `budget` of their entries; returns the work done (0: none left).
   */
  reclaimIds(budget: number): number {
    return this.db.transaction(() => {
      const oldest = this.db.prepare(`SELECT min(time) FROM records`).pluck().get() as number | null;
      retireRunsBefore(this.db, oldest ?? Number.MAX_SAFE_INTEGER);
      return this.runs.work(budget);
    })();
  }

  /**
   * Starts a bulk load: marks the index as loading until `endBulkLoad()` (the agent's API and the
   * exporter wait meanwhile) and writes through a rollback journal where it can. Since schema 4
   * the ID index needs no dropping (each commit appends a sorted run), so lookups stay exact; a
   * load killed half-way has its mark cleared by the next process that opens the index. Says
   * which journal the load writes through.
   */
  beginBulkLoad(): 'rollback' | 'wal' {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO meta (key, value) VALUES ('bulk_load', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
        )
        .run(JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() }));
    })();
    this.rollbackJournal = this.useRollbackJournal();
    return this.rollbackJournal ? 'rollback' : 'wal';
  }

  /** Ends the bulk load. */
  endBulkLoad(): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM meta WHERE key = 'bulk_load'`).run();
    })();
    if (this.rollbackJournal) {
      this.rollbackJournal = false;
      this.db.pragma('synchronous = NORMAL');
      // A no-op if another opener has put the index back in WAL mode already; the switch removes
      // the journal file. Should a reader hold the index past the busy timeout, the next opener does it.
      try {
        this.db.pragma('journal_mode = WAL');
      } catch {
        /* SQLITE_BUSY */
      }
    }
  }

  private rollbackJournal = false;

  /**
   * A bulk load appends pages. In WAL mode every page is written twice (to the WAL, then by the
   * checkpoint into the database); a rollback journal writes new pages once and journals only
   * the few existing pages a commit changes (measured: +10-18% lines/s on 1 KB lines). Only
   * possible while no other connection has the index open: then the load stays in WAL. With
   * synchronous = FULL a power cut cannot corrupt the index in this mode either; a killed load's
   * hot journal is rolled back by the next opener, which (like any opener, a lookup or an agent
   * starting during the load) puts the index back in WAL mode: the load carries on in WAL.
   */
  private useRollbackJournal(): boolean {
    this.db.pragma('busy_timeout = 0');
    try {
      if (this.db.pragma('journal_mode = PERSIST', { simple: true }) !== 'persist') return false;
      this.db.pragma('synchronous = FULL');
      return true;
    } catch {
      return false; // SQLITE_BUSY: another process has the index open
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** The newest committed batch's sequence number in the change log (0 if none). */
  lastBatch(): number {
    return this.prepared(`SELECT coalesce(max(seq), 0) FROM batches`).pluck().get() as number;
  }

  /** True while a bulk load (this process's or a live one's) runs. */
  bulkLoading(): boolean {
    return this.db.prepare(`SELECT 1 FROM meta WHERE key = 'bulk_load'`).get() !== undefined;
  }

  /** The mark of a killed bulk load is cleared; a load still running is left alone. */
  private restoreIndexes(): void {
    const v = this.db.prepare(`SELECT value FROM meta WHERE key = 'bulk_load'`).pluck().get() as string | undefined;
    if (v === undefined) return;
    let owner: { pid?: number; host?: string } = {};
    try {
      owner = v ? (JSON.parse(v) as typeof owner) : {};
    } catch {
      /* unreadable: treat as gone */
    }
    if (owner.pid !== undefined && owner.host === hostname() && owner.pid !== process.pid && processAlive(owner.pid))
      return;
    this.endBulkLoad();
  }

  /** A random ID made when the index was created (state kept elsewhere is keyed by it). */
  get indexId(): string {
    return this.db.prepare(`SELECT value FROM meta WHERE key = 'index_id'`).pluck().get() as string;
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** A prepared statement, prepared once per SQL text (preparing costs more than most lookups). */
  prepared(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      if (this.statements.size >= 256) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** The file this one continues: same inode and head, or (an archive) the same head anywhere. */
  findFile(
    dev: number | null,
    ino: number | null,
    headHash: (len: number) => string,
    headLen: number,
  ): FileRow | undefined {
    if (dev !== null && ino !== null) {
      for (const row of this.st.fileByInode.all(dev, ino) as FileRow[]) {
        if (row.fp_len <= headLen && headHash(row.fp_len) === row.fp_hash) return row;
      }
    }
    const full = this.st.fileByPrint.get(headLen, headHash(headLen)) as FileRow | undefined;
    if (full) return full;
    // A file first seen shorter than the fingerprint length, since grown (or compressed).
    for (const len of this.st.shortPrintLengths.all(headLen) as number[]) {
      const row = this.st.fileByPrint.get(len, headHash(len)) as FileRow | undefined;
      if (row) return row;
    }
    return undefined;
  }

  /**
   * The content last read at this path under this inode, whatever its head now: the file that a
   * copytruncate cut. A row of the same inode read at another path is a recycled inode (the old
   * file was renamed, deleted, and its inode given to a new one), not a truncation.
   */
  fileAtPathWithInode(file: string, dev: number, ino: number): FileRow | undefined {
    return this.prepared(`SELECT * FROM files WHERE dev = ? AND ino = ? AND path = ? ORDER BY id DESC LIMIT 1`).get(
      dev,
      ino,
      file,
    ) as FileRow | undefined;
  }

  fileById(id: number): FileRow | undefined {
    return this.prepared(`SELECT * FROM files WHERE id = ?`).get(id) as FileRow | undefined;
  }

  /** Plain files last read at this path (newest first): where a rotated-away file is looked for. */
  filesAtPath(file: string, limit = 3): FileRow[] {
    return this.prepared(
      `SELECT * FROM files WHERE path = ? AND dev IS NOT NULL AND ino IS NOT NULL ORDER BY id DESC LIMIT ${limitOf(limit)}`,
    ).all(file) as FileRow[];
  }

  /**
   * The rows last read under a path starting with `prefix` (`/var/log/nginx/access`: its
   * rotated names), most recently read first: what a restart may have left unfinished.
   */
  recentFilesUnder(prefix: string, limit = 10): FileRow[] {
    return this.prepared(
      `SELECT * FROM files WHERE path >= ? AND path < ? ORDER BY updated_at DESC LIMIT ${limitOf(limit)}`,
    ).all(prefix, `${prefix}\u{10FFFF}`) as FileRow[];
  }

  /** A value kept in the index's meta table (undefined if unset). */
  getMeta(key: string): string | undefined {
    return this.prepared(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.prepared(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run(key, value);
  }

  addFile(f: {
    path: string;
    dev: number | null;
    ino: number | null;
    fpLen: number;
    fpHash: string;
    format: string;
    region: string | null;
    options: object;
  }): FileRow {
    const info = this.st.insertFile.run(
      f.path,
      f.dev,
      f.ino,
      f.fpLen,
      f.fpHash,
      f.format,
      f.region,
      JSON.stringify(f.options),
      Date.now(),
    );
    return this.db.prepare(`SELECT * FROM files WHERE id = ?`).get(info.lastInsertRowid) as FileRow;
  }

  /** The file was renamed, or its head grew past the old fingerprint length. */
  moveFile(
    id: number,
    f: { path: string; dev: number | null; ino: number | null; fpLen: number; fpHash: string },
  ): void {
    this.st.moveFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, Date.now(), id);
  }

  /** copytruncate: the file restarted from zero; lines written between copy and truncate may be gone. */
  recordGap(id: number): void {
    this.st.gap.run(id);
  }

  // ---- lookups ---------------------------------------------------------------------------

  private readonly selectRecords =
    `SELECT r.id, f.id AS file_id, f.path, f.format, f.options, r.id & ${OFFSET_MASK} AS offset, r.line_no, r.time,
    r.source, f.region, r.request_id, r.status, r.error_kind, r.raw FROM records r JOIN files f ON f.id = r.id >> 40`;
  private readonly selectById =
    `SELECT r.id, f.id AS file_id, f.path, f.format, f.options, r.id & ${OFFSET_MASK} AS offset, r.line_no, r.time,
    r.source, f.region, r.request_id, r.status, r.error_kind, r.raw FROM ids i JOIN records r ON r.id = i.record JOIN files f ON f.id = r.id >> 40`;

  /**
   * Records by one of their IDs: a search in every readable run, joined to the record, which must
   * still exist and carry that ID (a run partly past retention points at deleted rows).
   */
  private byId(kind: number, column: 'request_id' | 'trace_id', id: string, limit: number): StoredRecord[] {
    return this.prepared(`${this.selectById} WHERE i.run IN (${READABLE_RUNS}) AND i.kind = ${kind} AND i.key = ? AND r.${column} = i.key
      ORDER BY r.time LIMIT ${limitOf(limit)}`).all(id) as StoredRecord[];
  }

  byRequestId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.request, 'request_id', id.slice(0, MAX_REQUEST_ID_CHARS), limit);
  }

  /** Whether any line carries this request ID (index probes and one row read). */
  hasRequestId(id: string): boolean {
    return (
      this.prepared(`SELECT 1 FROM ids i JOIN records r ON r.id = i.record WHERE i.run IN (${READABLE_RUNS}) AND i.kind = ${ID_KIND.request}
      AND i.key = ? AND r.request_id = i.key LIMIT 1`).get(id.slice(0, MAX_REQUEST_ID_CHARS)) !== undefined
    );
  }

  /**
   * Request IDs that start with `prefix` (the first `limit` in order), by index range, never
   * LIKE: the first `limit` of each run, merged (the overall first are among them).
   */
  requestIdsWithPrefix(prefix: string, limit = 10): string[] {
    const p = prefix.slice(0, MAX_REQUEST_ID_CHARS);
    const n = limitOf(limit);
    const perRun =
      this.prepared(`SELECT DISTINCT i.key FROM ids i JOIN records r ON r.id = i.record WHERE i.run = ? AND i.kind = ${ID_KIND.request}
      AND i.key >= ? AND i.key < ? AND r.request_id = i.key ORDER BY i.key LIMIT ${n}`).pluck();
    const found = new Set<string>();
    for (const run of this.prepared(READABLE_RUNS).pluck().all() as number[]) {
      for (const key of perRun.all(run, p, `${p}\u{10FFFF}`) as string[]) found.add(key);
    }
    return [...found].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).slice(0, n);
  }

  /** The newest answered access lines (status 100..399) of a window: a sample of healthy traffic. */
  recentSuccesses(from: number, to: number, limit = 2000): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.time >= ? AND r.time < ? AND r.source IN ('nginx-access', 'caddy-access')
      AND r.status >= 100 AND r.status < 400 ORDER BY r.time DESC LIMIT ${limitOf(limit)}`).all(
      from,
      to,
    ) as StoredRecord[];
  }

  /** Lines of the given sources in a time window (the material for structural and inferred joins). */
  window(from: number, to: number, sources: string[], limit = 5000): StoredRecord[] {
    // The side-lines index holds only error and gateway lines; the repeated condition lets SQLite use it.
    return this.prepared(`${this.selectRecords} WHERE r.source NOT IN ('nginx-access', 'caddy-access') AND r.source IN (${sources.map(() => '?').join(', ')})
      AND r.time >= ? AND r.time <= ? ORDER BY r.time LIMIT ${limitOf(limit)}`).all(
      ...sources,
      Math.floor(from),
      Math.ceil(to),
    ) as StoredRecord[];
  }

  /** Access lines of requests that asked for a WebSocket, ending in a window (rivals for a gateway connection). */
  upgradesBetween(from: number, to: number, limit = 500): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.time >= ? AND r.time <= ? AND r.upgrade = 1 AND r.source IN ('nginx-access', 'caddy-access')
      ORDER BY r.time LIMIT ${limitOf(limit)}`).all(Math.floor(from), Math.ceil(to)) as StoredRecord[];
  }

  byTraceId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.trace, 'trace_id', id, limit);
  }

  /** A time window, optionally only failures (status >= minStatus, indexed from 400) and a region. */
  search(q: {
    from: number;
    to: number;
    minStatus?: number;
    status?: number;
    region?: string;
    accessOnly?: boolean;
    limit?: number;
  }): StoredRecord[] {
    const where = ['r.time >= ?', 'r.time < ?'];
    const args: (string | number)[] = [q.from, q.to];
    if (q.minStatus !== undefined) {
      where.push('r.status >= ?');
      args.push(q.minStatus);
    }
    if (q.status !== undefined) {
      where.push('r.status = ?');
      args.push(q.status);
    }
    if (q.accessOnly) where.push(`r.source IN ('nginx-access', 'caddy-access')`);
    if (q.region !== undefined) {
      where.push('f.region = ?');
      args.push(q.region);
    }
    return this.prepared(
      `${this.selectRecords} WHERE ${where.join(' AND ')} ORDER BY r.time LIMIT ${limitOf(q.limit ?? 1000)}`,
    ).all(...args) as StoredRecord[];
  }

  counts(): { files: number; records: number; errors: number } {
    return this.db
      .prepare(`SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM records) AS records,
      (SELECT coalesce(sum(count), 0) FROM parse_errors) AS errors`)
      .get() as { files: number; records: number; errors: number };
  }

  files(): FileRow[] {
    return this.db.prepare(`SELECT * FROM files ORDER BY id`).all() as FileRow[];
  }
}
