/**
 * The SQLite index (better-sqlite3, WAL). Guarantee: a batch of records and the checkpoint that
 * covers it are committed in one transaction, so after a crash or kill -9 the index ends exactly
 * where the checkpoint says and reading resumes there: no line lost, none twice.
 */
import Database from './sqlite.js';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { LogRecord, ParseError } from '../../parsers/index.js';
import { asksForWebSocket } from '../../parsers/record.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { UserError } from '../../parsers/userError.js';

export class IndexOpenError extends UserError {
  override name = 'IndexOpenError';
}

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

export interface BatchLine {
  record: LogRecord;
  raw: string;
}

export interface BatchError {
  error: ParseError;
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

const INSERT_RECORDS = 'INSERT INTO records (id, line_no, time, source, request_id, trace_id, conn, status, error_kind, upgrade, raw) VALUES';
const RECORD_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const ROWS_PER_INSERT = 64;

function pushRecord(args: unknown[], fileId: number, { record: r, raw }: BatchLine): void {
  const rid = r.requestId !== undefined && r.requestId.length > MAX_REQUEST_ID_CHARS ? r.requestId.slice(0, MAX_REQUEST_ID_CHARS) : r.requestId;
  args.push(recordId(fileId, r.offset!), r.lineNo, Math.round(r.time), r.source, rid ?? null, r.traceId ?? null,
    r.connection ?? null, r.status ?? null, r.errorKind ?? null, asksForWebSocket(r) ? 1 : null, raw);
}
const SAMPLES_PER_REASON = 20;

/**
 * A row limit written into the SQL, not bound: with `LIMIT ?` SQLite 3.x spends ~20 us per
 * query even when nothing matches (measured: 1.2 us with a literal). Always an integer we made.
 */
function limitOf(n: number): number {
  return Number.isFinite(n) ? Math.min(1_000_000, Math.max(1, Math.floor(n))) : 1000;
}

/**
 * The schema version of an opened database (0: empty), read before anything is written to it:
 * a database that is not a claw-trace index, or a newer one, is refused untouched (not even
 * switched to WAL mode).
 */
function schemaVersion(db: Database.Database, file: string): number {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  let version = 0;
  if (tables.length > 0) {
    if (!tables.includes('meta')) {
      throw new IndexOpenError(`${file} is an SQLite database but not a claw-trace index (no meta table): use another --db path`);
    }
    const v = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
    version = Number(v ?? NaN);
    if (!Number.isInteger(version)) throw new IndexOpenError(`${file}: the claw-trace index has no readable schema version`);
  }
  if (version > SCHEMA_VERSION) {
    throw new IndexOpenError(`${file} was written by a newer claw-trace (schema ${version}, this one knows ${SCHEMA_VERSION}): upgrade claw-trace or use another --db`);
  }
  return version;
}

function migrate(db: Database.Database, file: string): void {
  const version = schemaVersion(db, file);
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if (version === 0) db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
  })();
}

const BUSY_TIMEOUT_MS = 5000;

/**
 * An index holds client IPs, URLs and sample lines: its folder is made 0700 and the file 0600
 * before SQLite opens it (SQLite gives the WAL and SHM files the database file's mode). Files
 * and folders that exist already keep theirs.
 */
export function createPrivate(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    try {
      closeSync(openSync(file, 'wx', 0o600));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new IndexOpenError(`cannot create the index ${file}: ${(e as Error).message}`);
    }
  }
}

export function openDatabase(file: string, cacheMiB = 32, walCheckpointMiB = 40): Database.Database {
  if (file !== ':memory:') createPrivate(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  try {
    schemaVersion(db, file);
  } catch (e) {
    db.close();
    throw e instanceof IndexOpenError ? e : new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  try {
    // Both take effect on a new database only. The page size trades live intake against bulk
    // loads: live, every line's request ID lands on a random leaf of its index and each commit
    // writes every leaf it touched whole (to the WAL, then at the checkpoint). Measured at 5,000
    // lines/s into 1M rows for 20 s: 16 KiB pages wrote 4.3 GB (commit CPU 3.4 s), 8 KiB 2.4 GB
    // (2.5 s), 4 KiB 1.6 GB (2.3 s); a claw_json bulk load, medians of 5: 167,000, 161,000 and
    // 134,000 lines/s. 8 KiB.
    db.pragma('page_size = 8192');
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
  } catch (e) {
    throw new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  // WAL + NORMAL: a committed transaction survives the process being killed (it is in the WAL);
  // only a power cut can lose the last ones, and never the database's consistency.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  // 32 MiB of page cache by default: room for the hot index pages at backfill speed, peak RSS under 200 MB.
  db.pragma(`cache_size = ${-Math.round(cacheMiB * 1024)}`);
  // A checkpoint runs inside the commit that crosses the threshold: large for a backfill's speed,
  // small for the agent, whose API shares the thread (160 MiB took up to ~300 ms there, 16 MiB
  // made commits of p99 42 ms, 4 MiB 19 ms). In bytes: indexes made before 8 KiB pages have 16 KiB.
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.max(64, Math.floor((walCheckpointMiB * 1024 * 1024) / pageSize))}`);
  try {
    migrate(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * The indexes on random keys (request and trace IDs), exactly as migration 1 made them. Each
 * insert into them touches a random page: a bulk load drops them and builds them once at its end
 * (a sort), which is several times cheaper than keeping them up to date row by row.
 */
export const BULK_INDEXES: Record<string, string> = {
  records_request: `CREATE INDEX IF NOT EXISTS records_request ON records(request_id) WHERE request_id IS NOT NULL`,
  records_trace: `CREATE INDEX IF NOT EXISTS records_trace ON records(trace_id) WHERE trace_id IS NOT NULL`,
  // records_time stays: log time grows within a file, so keeping it costs about what rebuilding
  // it does (measured: no difference), and time-window queries keep their index during a load.
};

/** Whether a process with this PID runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RecordIndex {
  readonly db: Database.Database;
  private readonly st;

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
    this.st = {
      fileByInode: db.prepare(`SELECT * FROM files WHERE dev = ? AND ino = ? ORDER BY id DESC`),
      fileByPrint: db.prepare(`SELECT * FROM files WHERE fp_len = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`),
      shortPrintLengths: db.prepare(`SELECT DISTINCT fp_len FROM files WHERE fp_len < ?`).pluck(),
      insertFile: db.prepare(`INSERT INTO files (path, dev, ino, fp_len, fp_hash, format, region, options, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      moveFile: db.prepare(`UPDATE files SET path = ?, dev = ?, ino = ?, fp_len = ?, fp_hash = ?, updated_at = ? WHERE id = ?`),
      checkpoint: db.prepare(`UPDATE files SET offset = ?, line_no = ?, lines_cut = lines_cut + ?, updated_at = ? WHERE id = ?`),
      gap: db.prepare(`UPDATE files SET gaps = gaps + 1 WHERE id = ?`),
      logBatch: db.prepare(`INSERT INTO batches (first_id, last_id, committed_at) VALUES (?, ?, ?)`),
      insertRecord: db.prepare(`${INSERT_RECORDS} ${RECORD_VALUES}`),
      insertRecords: db.prepare(`${INSERT_RECORDS} ${Array(ROWS_PER_INSERT).fill(RECORD_VALUES).join(', ')}`),
      countError: db.prepare(`INSERT INTO parse_errors (file_id, reason, count) VALUES (?, ?, 1)
        ON CONFLICT(file_id, reason) DO UPDATE SET count = count + 1 RETURNING count`).pluck(),
      insertSample: db.prepare(`INSERT INTO parse_error_samples (file_id, offset, line_no, reason, detail, line) VALUES (?, ?, ?, ?, ?, ?)`),
    };
    const st = this.st;
    this.commitBatch = db.transaction((fileId: number, lines: BatchLine[], errors: BatchError[], cp: Checkpoint) => {
      // Many rows per statement: binding row by row costs more than SQLite's own work.
      const args: unknown[] = [];
      let i = 0;
      for (; i + ROWS_PER_INSERT <= lines.length; i += ROWS_PER_INSERT) {
        args.length = 0;
        for (let k = i; k < i + ROWS_PER_INSERT; k++) pushRecord(args, fileId, lines[k]!);
        st.insertRecords.run(args);
      }
      for (; i < lines.length; i++) {
        args.length = 0;
        pushRecord(args, fileId, lines[i]!);
        st.insertRecord.run(args);
      }
      for (const e of errors) {
        const n = st.countError.get(fileId, e.error.reason) as number;
        if (n <= SAMPLES_PER_REASON) st.insertSample.run(fileId, e.offset, e.lineNo, e.error.reason, e.error.detail, e.line.slice(0, 512));
      }
      st.checkpoint.run(cp.offset, cp.lineNo, cp.linesCut, Date.now(), fileId);
      if (lines.length > 0) st.logBatch.run(recordId(fileId, lines[0]!.record.offset!), recordId(fileId, lines[lines.length - 1]!.record.offset!), Date.now());
    });
  }

  close(): void {
    this.db.close();
  }

  /**
   * Starts a bulk load: the random-keyed indexes go until `endBulkLoad()`. Meanwhile lookups by
   * request ID scan the table (correct, slow); a load killed half-way gets its indexes back from
   * the next process that opens the index. Says which journal the load writes through.
   */
  beginBulkLoad(): 'rollback' | 'wal' {
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO meta (key, value) VALUES ('bulk_load', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
        .run(JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() }));
      for (const name of Object.keys(BULK_INDEXES)) this.db.exec(`DROP INDEX IF EXISTS ${name}`);
    })();
    this.rollbackJournal = this.useRollbackJournal();
    return this.rollbackJournal ? 'rollback' : 'wal';
  }

  /** Builds the random-keyed indexes again (one sort each) and ends the bulk load. */
  endBulkLoad(): void {
    this.db.transaction(() => {
      for (const ddl of Object.values(BULK_INDEXES)) this.db.exec(ddl);
      this.db.prepare(`DELETE FROM meta WHERE key = 'bulk_load'`).run();
    })();
    if (this.rollbackJournal) {
      this.rollbackJournal = false;
      this.db.pragma('synchronous = NORMAL');
      // A no-op if another opener has put the index back in WAL mode already; the switch removes
      // the journal file. Should a reader hold the index past the busy timeout, the next opener does it.
      try {
        this.db.pragma('journal_mode = WAL');
      } catch { /* SQLITE_BUSY */ }
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

  /** True while a bulk load (this process's or a live one's) has the random-keyed indexes down. */
  bulkLoading(): boolean {
    return this.db.prepare(`SELECT 1 FROM meta WHERE key = 'bulk_load'`).get() !== undefined;
  }

  /** Indexes a killed bulk load left out are built again; a load still running is left alone. */
  private restoreIndexes(): void {
    const have = new Set(this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[]);
    if (Object.keys(BULK_INDEXES).every((n) => have.has(n))) return;
    const v = this.db.prepare(`SELECT value FROM meta WHERE key = 'bulk_load'`).pluck().get() as string | undefined;
    let owner: { pid?: number; host?: string } = {};
    try { owner = v ? JSON.parse(v) as typeof owner : {}; } catch { /* unreadable: treat as gone */ }
    if (owner.pid !== undefined && owner.host === hostname() && owner.pid !== process.pid && processAlive(owner.pid)) return;
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
  findFile(dev: number | null, ino: number | null, headHash: (len: number) => string, headLen: number): FileRow | undefined {
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
    return this.prepared(`SELECT * FROM files WHERE dev = ? AND ino = ? AND path = ? ORDER BY id DESC LIMIT 1`).get(dev, ino, file) as FileRow | undefined;
  }

  fileById(id: number): FileRow | undefined {
    return this.prepared(`SELECT * FROM files WHERE id = ?`).get(id) as FileRow | undefined;
  }

  /** Plain files last read at this path (newest first): where a rotated-away file is looked for. */
  filesAtPath(file: string, limit = 3): FileRow[] {
    return this.prepared(`SELECT * FROM files WHERE path = ? AND dev IS NOT NULL AND ino IS NOT NULL ORDER BY id DESC LIMIT ${limitOf(limit)}`).all(file) as FileRow[];
  }

  /**
   * The rows last read under a path starting with `prefix` (`/var/log/nginx/access`: its
   * rotated names), most recently read first: what a restart may have left unfinished.
   */
  recentFilesUnder(prefix: string, limit = 10): FileRow[] {
    return this.prepared(`SELECT * FROM files WHERE path >= ? AND path < ? ORDER BY updated_at DESC LIMIT ${limitOf(limit)}`).all(prefix, prefix + '\u{10FFFF}') as FileRow[];
  }

  /** A value kept in the index's meta table (undefined if unset). */
  getMeta(key: string): string | undefined {
    return this.prepared(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.prepared(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  addFile(f: { path: string; dev: number | null; ino: number | null; fpLen: number; fpHash: string; format: string; region: string | null; options: object }): FileRow {
    const info = this.st.insertFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, f.format, f.region, JSON.stringify(f.options), Date.now());
    return this.db.prepare(`SELECT * FROM files WHERE id = ?`).get(info.lastInsertRowid) as FileRow;
  }

  /** The file was renamed, or its head grew past the old fingerprint length. */
  moveFile(id: number, f: { path: string; dev: number | null; ino: number | null; fpLen: number; fpHash: string }): void {
    this.st.moveFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, Date.now(), id);
  }

  /** copytruncate: the file restarted from zero; lines written between copy and truncate may be gone. */
  recordGap(id: number): void {
    this.st.gap.run(id);
  }

  // ---- lookups ---------------------------------------------------------------------------

  private readonly selectRecords = `SELECT r.id, f.id AS file_id, f.path, f.format, f.options, r.id & ${OFFSET_MASK} AS offset, r.line_no, r.time,
    r.source, f.region, r.request_id, r.status, r.error_kind, r.raw FROM records r JOIN files f ON f.id = r.id >> 40`;

  byRequestId(id: string, limit = 1000): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.request_id = ? ORDER BY r.time LIMIT ${limitOf(limit)}`).all(id.slice(0, MAX_REQUEST_ID_CHARS)) as StoredRecord[];
  }

  /** Whether any line carries this request ID (an index probe; no row is read). */
  hasRequestId(id: string): boolean {
    return this.prepared(`SELECT 1 FROM records WHERE request_id = ? LIMIT 1`).get(id.slice(0, MAX_REQUEST_ID_CHARS)) !== undefined;
  }

  /** Request IDs that start with `prefix` (at most `limit`), by index range, never LIKE. */
  requestIdsWithPrefix(prefix: string, limit = 10): string[] {
    const p = prefix.slice(0, MAX_REQUEST_ID_CHARS);
    return this.prepared(`SELECT DISTINCT request_id FROM records WHERE request_id >= ? AND request_id < ? LIMIT ${limitOf(limit)}`)
      .pluck().all(p, p + '\u{10FFFF}') as string[];
  }

  /** The newest answered access lines (status 100..399) of a window: a sample of healthy traffic. */
  recentSuccesses(from: number, to: number, limit = 2000): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.time >= ? AND r.time < ? AND r.source IN ('nginx-access', 'caddy-access')
      AND r.status >= 100 AND r.status < 400 ORDER BY r.time DESC LIMIT ${limitOf(limit)}`).all(from, to) as StoredRecord[];
  }

  /** Lines of the given sources in a time window (the material for structural and inferred joins). */
  window(from: number, to: number, sources: string[], limit = 5000): StoredRecord[] {
    // The side-lines index holds only error and gateway lines; the repeated condition lets SQLite use it.
    return this.prepared(`${this.selectRecords} WHERE r.source NOT IN ('nginx-access', 'caddy-access') AND r.source IN (${sources.map(() => '?').join(', ')})
      AND r.time >= ? AND r.time <= ? ORDER BY r.time LIMIT ${limitOf(limit)}`)
      .all(...sources, Math.floor(from), Math.ceil(to)) as StoredRecord[];
  }

  /** Access lines of requests that asked for a WebSocket, ending in a window (rivals for a gateway connection). */
  upgradesBetween(from: number, to: number, limit = 500): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.time >= ? AND r.time <= ? AND r.upgrade = 1 AND r.source IN ('nginx-access', 'caddy-access')
      ORDER BY r.time LIMIT ${limitOf(limit)}`).all(Math.floor(from), Math.ceil(to)) as StoredRecord[];
  }

  byTraceId(id: string, limit = 1000): StoredRecord[] {
    return this.prepared(`${this.selectRecords} WHERE r.trace_id = ? ORDER BY r.time LIMIT ${limitOf(limit)}`).all(id) as StoredRecord[];
  }

  /** A time window, optionally only failures (status >= minStatus, indexed from 400) and a region. */
  search(q: { from: number; to: number; minStatus?: number; status?: number; region?: string; accessOnly?: boolean; limit?: number }): StoredRecord[] {
    const where = ['r.time >= ?', 'r.time < ?'];
    const args: (string | number)[] = [q.from, q.to];
    if (q.minStatus !== undefined) { where.push('r.status >= ?'); args.push(q.minStatus); }
    if (q.status !== undefined) { where.push('r.status = ?'); args.push(q.status); }
    if (q.accessOnly) where.push(`r.source IN ('nginx-access', 'caddy-access')`);
    if (q.region !== undefined) { where.push('f.region = ?'); args.push(q.region); }
    return this.prepared(`${this.selectRecords} WHERE ${where.join(' AND ')} ORDER BY r.time LIMIT ${limitOf(q.limit ?? 1000)}`).all(...args) as StoredRecord[];
  }

  counts(): { files: number; records: number; errors: number } {
    return this.db.prepare(`SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM records) AS records,
      (SELECT coalesce(sum(count), 0) FROM parse_errors) AS errors`).get() as { files: number; records: number; errors: number };
  }

  files(): FileRow[] {
    return this.db.prepare(`SELECT * FROM files ORDER BY id`).all() as FileRow[];
  }
}
