/**
 * The SQLite index (better-sqlite3, WAL), as one object over its parts, each in its own file:
 * opening and migrations (database.ts), files and checkpoints (files.ts), records and their
 * commits and bulk loads (records.ts), the raw lines' compressed blocks (lineBlocks.ts), the ID
 * runs (idRuns.ts), and reading (lookups.ts; the named queries of the rest in queries.ts).
 * Guarantee: a batch of records and the checkpoint that covers it are committed in one
 * transaction, so after a crash or kill -9 the index ends exactly where the checkpoint says and
 * reading resumes there: no line lost, none twice.
 */
import { openDatabase } from './database.js';
import { type FileRow, FileStore } from './files.js';
import { IdRuns } from './idRuns.js';
import { LineBlocks } from './lineBlocks.js';
import { Lookups, type RowlessLine, type StoredRecord } from './lookups.js';
import {
  BulkLoad,
  type CommitBatch,
  type CommitPrepared,
  commitBatchOn,
  cutoffForOldest,
  deleteBlocksBefore,
  reclaimIds,
} from './records.js';
import type Database from './sqlite.js';
import { Statements } from './statements.js';

// Where they were before the store was split by concern: callers import them from here.
export { createPrivate, IndexOpenError, openDatabase, processAlive } from './database.js';
export type { Checkpoint, FileRow } from './files.js';
export { type StoredRecord, storedLineCount, storedLines } from './lookups.js';
export type { PreparedCommit } from './prepare.js';
export type { BatchError, BatchLine, RecordFields } from './records.js';
export { MAX_REQUEST_ID_CHARS } from './records.js';

export class RecordIndex {
  readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly runs: IdRuns;
  private readonly blocks: LineBlocks;
  private readonly fileStore: FileStore;
  private readonly lookups: Lookups;
  private readonly bulk: BulkLoad;

  /** One transaction: the records, the unreadable lines, and the checkpoint that covers them. */
  readonly commitBatch: CommitBatch;
  /** The same, for a batch whose writes a parse thread prepared (prepare.ts). */
  readonly commitPrepared: CommitPrepared;

  constructor(file: string, opts: { cacheMiB?: number; walCheckpointMiB?: number } = {}) {
    this.db = openDatabase(file, opts.cacheMiB, opts.walCheckpointMiB);
    const db = this.db;
    this.bulk = new BulkLoad(db);
    try {
      this.bulk.clearKilled();
    } catch (e) {
      db.close();
      throw e;
    }
    this.statements = new Statements(db);
    this.runs = new IdRuns(db);
    this.blocks = new LineBlocks(db);
    this.fileStore = new FileStore(db, this.statements);
    this.lookups = new Lookups(this.statements, this.blocks);
    ({ commitBatch: this.commitBatch, commitPrepared: this.commitPrepared } = commitBatchOn(
      db,
      this.runs,
      this.blocks,
    ));
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

  /**
   * A PASSIVE WAL checkpoint (checkpointer.ts): copies what it can of the WAL into the index
   * without waiting for anyone. `done`: it ran (every frame moved, or what readers allowed);
   * `busy`: another connection checkpoints, or this one is inside a transaction; `none`: not WAL.
   */
  walCheckpoint(): 'done' | 'busy' | 'none' {
    if (this.db.inTransaction) return 'busy';
    const r = this.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number }[];
    const row = r[0];
    return row === undefined || row.log < 0 ? 'none' : row.busy ? 'busy' : 'done';
  }

  /** Runs `f` in one transaction on the index (for a caller's several writes that go together). */
  transaction<T>(f: () => T): T {
    return this.db.transaction(f)();
  }

  /** A prepared statement, prepared once per SQL text (for src/store's named queries). */
  prepared(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  // ---- records: commits, bulk loads, retention --------------------------------------------

  /** After records were deleted (retention): ID runs older than every record left go, up to `budget` entries; 0: none left. */
  reclaimIds(budget: number): number {
    return reclaimIds(this.db, this.runs, budget);
  }

  /** Retention: blocks all of whose lines are older than `cutoff`, with their rows, up to `budget`; returns the lines deleted. */
  deleteBlocksBefore(cutoff: number, budget: number): number {
    const n = deleteBlocksBefore(this.db, cutoff, budget);
    if (n > 0) this.blocks.clearCache();
    return n;
  }

  /** Retention by size: a cutoff below which about `lines` of the oldest lines lie (undefined: none). */
  cutoffForOldest(lines: number): number | undefined {
    return cutoffForOldest(this.db, lines);
  }

  /** Starts a bulk load (see records.ts BulkLoad); says which journal the load writes through. */
  beginBulkLoad(): 'rollback' | 'wal' {
    return this.bulk.begin();
  }

  endBulkLoad(): void {
    this.bulk.end();
  }

  /** True while a bulk load (this process's or a live one's) runs. */
  bulkLoading(): boolean {
    return this.bulk.running();
  }

  /** The newest committed batch's sequence number in the change log (0 if none). */
  lastBatch(): number {
    return this.statements.get(`SELECT coalesce(max(seq), 0) FROM batches`).pluck().get() as number;
  }

  // ---- meta --------------------------------------------------------------------------------

  /** A random ID made when the index was created (state kept elsewhere is keyed by it). */
  get indexId(): string {
    return this.getMeta('index_id')!;
  }

  /** A value kept in the index's meta table (undefined if unset). */
  getMeta(key: string): string | undefined {
    return this.statements.get(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.statements
      .get(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
      .run(key, value);
  }

  // ---- files and checkpoints (files.ts) ----------------------------------------------------

  findFile(
    dev: number | null,
    ino: number | null,
    headHash: (len: number) => string,
    headLen: number,
  ): FileRow | undefined {
    return this.fileStore.find(dev, ino, headHash, headLen);
  }
  fileAtPathWithInode(file: string, dev: number, ino: number): FileRow | undefined {
    return this.fileStore.atPathWithInode(file, dev, ino);
  }
  fileById(id: number): FileRow | undefined {
    return this.fileStore.byId(id);
  }
  filesAtPath(file: string, limit = 3): FileRow[] {
    return this.fileStore.atPath(file, limit);
  }
  recentFilesUnder(prefix: string, limit = 10): FileRow[] {
    return this.fileStore.recentUnder(prefix, limit);
  }
  addFile(f: Parameters<FileStore['add']>[0]): FileRow {
    return this.fileStore.add(f);
  }
  moveFile(id: number, f: Parameters<FileStore['move']>[1]): void {
    this.fileStore.move(id, f);
  }
  recordGap(id: number): void {
    this.fileStore.recordGap(id);
  }
  files(): FileRow[] {
    return this.fileStore.all();
  }

  // ---- reading (lookups.ts) ----------------------------------------------------------------

  byRequestId(id: string, limit = 1000): StoredRecord[] {
    return this.lookups.byRequestId(id, limit);
  }
  byTraceId(id: string, limit = 1000): StoredRecord[] {
    return this.lookups.byTraceId(id, limit);
  }
  hasRequestId(id: string): boolean {
    return this.lookups.hasRequestId(id);
  }
  requestIdsWithPrefix(prefix: string, limit = 10): string[] {
    return this.lookups.requestIdsWithPrefix(prefix, limit);
  }
  recentSuccesses(from: number, to: number, limit = 2000): StoredRecord[] {
    return this.lookups.recentSuccesses(from, to, limit);
  }
  window(from: number, to: number, sources: string[], limit = 5000): StoredRecord[] {
    return this.lookups.window(from, to, sources, limit);
  }
  upgradesBetween(from: number, to: number, limit = 500): StoredRecord[] {
    return this.lookups.upgradesBetween(from, to, limit);
  }
  search(q: Parameters<Lookups['search']>[0]): StoredRecord[] {
    return this.lookups.search(q);
  }
  counts(): { files: number; records: number; errors: number } {
    return this.lookups.counts();
  }

  // ---- lines kept without a row (rowless.ts), for the named queries ---------------------------

  rowlessInRange(firstId: bigint, lastId: bigint): RowlessLine[] {
    return this.lookups.rowlessInRange(firstId, lastId);
  }
  rowlessOnConnections(conns: readonly number[], from: number, to: number): StoredRecord[] {
    return this.lookups.rowlessOnConnections(conns, from, to);
  }
  rowlessCounts(from: number, to: number): { file_id: number; second: number; n: number }[] {
    return this.lookups.rowlessCounts(from, to);
  }
}
