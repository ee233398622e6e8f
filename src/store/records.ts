/**
 * Records and their commits: a batch of one file's lines, their IDs (a sorted run, idRuns.ts),
 * their raw lines (compressed blocks, lineBlocks.ts), its unreadable lines and the checkpoint
 * that covers them, in one transaction: after a crash or kill -9 the index ends exactly where
 * the checkpoint says and reading resumes there (no line lost, none twice). Also bulk loads.
 */
import { hostname } from 'node:os';
import type { ParseError } from '../../parsers/index.js';
import { BUSY_TIMEOUT_MS, processAlive } from './database.js';
import type { Checkpoint } from './files.js';
import { type IdRuns, retireRunsBefore } from './idRuns.js';
import { compressBlocks, type LineBlocks } from './lineBlocks.js';
import { type BatchLine, type PreparedCommit, prepareCommit, ROW_COLUMNS } from './prepare.js';
import type Database from './sqlite.js';

export interface BatchError {
  error: Pick<ParseError, 'reason' | 'detail'>;
  offset: number;
  lineNo: number;
  line: string;
}

// Where they were before prepare.ts: callers import them from here.
export { type BatchLine, MAX_REQUEST_ID_CHARS, OFFSET_MASK, type RecordFields, recordId } from './prepare.js';

const INSERT_RECORDS =
  'INSERT INTO records (id, line_no, time, source, request_id, trace_id, conn, status, error_kind, upgrade, raw) VALUES';
const RECORD_VALUES = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`;
const ROWS_PER_INSERT = 64;
const SAMPLES_PER_REASON = 20;

export type CommitBatch = (fileId: number, lines: BatchLine[], errors: BatchError[], cp: Checkpoint) => void;
/**
 * Batches of one file whose writes were prepared already (prepareCommit, on a backfill's parse
 * thread), in order, in one transaction: each with its checkpoint, so the last one's stands.
 */
export type CommitPrepared = (
  fileId: number,
  batches: readonly { d: PreparedCommit; errors: BatchError[]; cp: Checkpoint }[],
) => void;

/**
 * The one transaction of a batch: records, their IDs and blocks, unreadable lines, checkpoint,
 * change log. `commitBatch` prepares the writes first (prepare.ts), `commitPrepared` takes them made.
 */
export function commitBatchOn(
  db: Database.Database,
  runs: IdRuns,
  blocks: LineBlocks,
): { commitBatch: CommitBatch; commitPrepared: CommitPrepared } {
  const st = {
    checkpoint: db.prepare(
      `UPDATE files SET offset = ?, line_no = ?, lines_cut = lines_cut + ?, updated_at = ? WHERE id = ?`,
    ),
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
  const write = (fileId: number, d: PreparedCommit, errors: BatchError[], cp: Checkpoint) => {
    // Many rows per statement: binding row by row costs more than SQLite's own work.
    const per = ROW_COLUMNS * ROWS_PER_INSERT;
    let i = 0;
    for (; i + per <= d.rows.length; i += per) st.insertRecords.run(d.rows.slice(i, i + per));
    for (; i < d.rows.length; i += ROW_COLUMNS) st.insertRecord.run(d.rows.slice(i, i + ROW_COLUMNS));
    blocks.add(d.blocks);
    // The IDs and connections as one sorted run (pages appended, not entries scattered over a
    // B-tree), plus a share of merging.
    runs.add(d.pages, d.minTime, d.maxTime);
    for (const e of errors) {
      const n = st.countError.get(fileId, e.error.reason) as number;
      if (n <= SAMPLES_PER_REASON)
        st.insertSample.run(fileId, e.offset, e.lineNo, e.error.reason, e.error.detail, e.line.slice(0, 512));
    }
    st.checkpoint.run(cp.offset, cp.lineNo, cp.linesCut, Date.now(), fileId);
    if (d.firstId !== undefined) st.logBatch.run(d.firstId, d.lastId, Date.now());
  };
  const tx = db.transaction((fileId: number, batches: Parameters<CommitPrepared>[1]) => {
    for (const b of batches) write(fileId, b.d, b.errors, b.cp);
  });
  return {
    // The rows, entries and blocks are made before the transaction opens (it holds the write lock).
    commitBatch: (fileId, lines, errors, cp) => tx(fileId, [{ d: prepareCommit(fileId, lines), errors, cp }]),
    commitPrepared: (fileId, batches) => {
      for (const b of batches) compressBlocks(b.d.blocks); // those the parse thread left to this one
      tx(fileId, batches);
    },
  };
}

/** The log time of the oldest line kept: a row's, or that of a block's lines kept without one. */
const OLDEST_LINE = `SELECT min(t) FROM (SELECT min(time) AS t FROM records UNION ALL SELECT min(min_time) FROM blocks WHERE rowless > 0)`;

/**
 * Retention of whole blocks: up to `budget` blocks all of whose lines are older than `cutoff`
 * go, with the rows of their lines, in one transaction (a row never outlives its block's line,
 * whatever another connection commits meanwhile). Lines kept without a row go only this way:
 * those older than the cutoff in a block with a newer line stay until their block goes (and so
 * do rows: see retention.ts), with the block's per-second counts. Returns the lines deleted.
 */
export function deleteBlocksBefore(db: Database.Database, cutoff: number, budget: number): number {
  const st = {
    pick: db
      .prepare(`SELECT first_id, last_id, rowless FROM blocks WHERE max_time < ? ORDER BY max_time LIMIT ?`)
      .safeIntegers(),
    rows: db.prepare(`DELETE FROM records WHERE id BETWEEN ? AND ?`),
    traffic: db.prepare(`DELETE FROM traffic WHERE first_id = ?`),
    block: db.prepare(`DELETE FROM blocks WHERE first_id = ?`),
  };
  return db
    .transaction(() => {
      let lines = 0;
      const picked = st.pick.all(cutoff, Math.max(1, Math.floor(budget))) as {
        first_id: bigint;
        last_id: bigint;
        rowless: bigint;
      }[];
      for (const b of picked) {
        lines += st.rows.run(b.first_id, b.last_id).changes + Number(b.rowless);
        st.traffic.run(b.first_id);
        st.block.run(b.first_id);
      }
      return picked.length === 0 ? 0 : Math.max(1, lines);
    })
    .immediate();
}

/**
 * A cutoff below which about `lines` of the oldest lines lie: just past the newest time of the
 * oldest blocks (lines / 64 of them; every line has been in a block since schema 5, and lines
 * written before that are older), or, in an index with no blocks, of the oldest rows.
 */
export function cutoffForOldest(db: Database.Database, lines: number): number | undefined {
  const n = Math.max(1, Math.floor(lines));
  const blockT = (db
    .prepare(`SELECT max_time FROM blocks ORDER BY max_time LIMIT 1 OFFSET ?`)
    .pluck()
    .get(Math.max(0, Math.floor(n / 64) - 1)) ?? db.prepare(`SELECT max(max_time) FROM blocks`).pluck().get()) as
    | number
    | null;
  if (blockT !== null && blockT !== undefined) return blockT + 1;
  const rowT = (db
    .prepare(`SELECT time FROM records ORDER BY time LIMIT 1 OFFSET ?`)
    .pluck()
    .get(n - 1) ?? db.prepare(`SELECT max(time) FROM records`).pluck().get()) as number | null;
  return rowT === null || rowT === undefined ? undefined : rowT + 1;
}

/**
 * After lines were deleted (retention): retires the ID runs older than every line left and
 * deletes up to `budget` of their entries; returns the work done (0: none left).
 */
export function reclaimIds(db: Database.Database, runs: IdRuns, budget: number): number {
  return db.transaction(() => {
    const oldest = db.prepare(OLDEST_LINE).pluck().get() as number | null;
    retireRunsBefore(db, oldest ?? Number.MAX_SAFE_INTEGER);
    return runs.work(budget);
  })();
}

/**
 * Bulk loads: a mark in the index while one runs (`bulkLoading()`), and a rollback journal
 * where the load can have one. Since schema 4 nothing is dropped for a load (each commit
 * appends a sorted run), so lookups stay exact and the agent carries on during one; a load
 * killed half-way has its mark cleared by the next process that opens the index.
 */
export class BulkLoad {
  private rollbackJournal = false;

  constructor(private readonly db: Database.Database) {}

  /** Marks the index as loading and writes through a rollback journal where it can; says which journal. */
  begin(): 'rollback' | 'wal' {
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

  end(): void {
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

  /** True while a bulk load (this process's or a live one's) runs. */
  running(): boolean {
    return this.db.prepare(`SELECT 1 FROM meta WHERE key = 'bulk_load'`).get() !== undefined;
  }

  /** The mark of a killed bulk load is cleared; a load still running is left alone. */
  clearKilled(): void {
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
    this.end();
  }

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
}
