/**
 * Retention by age and by database size. Deletes go oldest first in small chunks, each its own
 * transaction, yielding to the event loop in between: a large prune never blocks the intake for
 * more than one chunk. File rows (the checkpoints) are kept, so pruned lines are not read again.
 */
import type { RecordIndex } from './recordIndex.js';

export interface RetentionPolicy {
  /** Records older than this (by their log time) go. */
  maxAgeMs?: number;
  /** Above this many bytes of used pages, the oldest records go until it fits. */
  maxBytes?: number;
  /** Rows per delete transaction (default 5000). */
  chunkRows?: number;
}

export interface RetentionResult {
  deleted: number;
  bytesBefore: number;
  bytesAfter: number;
  /** The longest single delete transaction, ms. */
  longestPauseMs: number;
}

/** Bytes of pages in use (the file may be larger until free pages are vacuumed away). */
export function usedBytes(index: RecordIndex): number {
  const pageSize = index.db.pragma('page_size', { simple: true }) as number;
  const pages = index.db.pragma('page_count', { simple: true }) as number;
  const free = index.db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

const CHANGE_LOG_MS = 24 * 3600_000;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export async function applyRetention(
  index: RecordIndex,
  policy: RetentionPolicy,
  now = Date.now(),
): Promise<RetentionResult> {
  const chunk = policy.chunkRows ?? 5000;
  const db = index.db;
  const result: RetentionResult = { deleted: 0, bytesBefore: usedBytes(index), bytesAfter: 0, longestPauseMs: 0 };
  // Rows whose line is inline (written before schema 5) go by their time; every other row goes
  // with its block, so a row never outlives its line nor its line its row.
  const deleteOlder = db.prepare(
    `DELETE FROM records WHERE id IN (SELECT id FROM records WHERE time < ? AND raw <> '' ORDER BY time LIMIT ?)`,
  );
  /** The blocks all of whose lines are older than `cutoff` (with their rows), then inline rows: lines deleted. */
  const deleteBefore = async (cutoff: number): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const n = timed(() => index.deleteBlocksBefore(cutoff, Math.max(1, chunk / 64)));
      if (n === 0) break;
      deleted += n;
      await yieldToLoop();
    }
    for (;;) {
      const n = timed(() => deleteOlder.run(cutoff, chunk).changes);
      deleted += n;
      if (n < chunk) break;
      await yieldToLoop();
    }
    return deleted;
  };
  const timed = (f: () => number): number => {
    const t = process.hrtime.bigint();
    const n = f();
    result.longestPauseMs = Math.max(result.longestPauseMs, Number(process.hrtime.bigint() - t) / 1e6);
    return n;
  };
  // The ID runs that only point at deleted lines (whole; merges pending move on). Blocks went
  // with their lines.
  const reclaim = async () => {
    while (timed(() => index.reclaimIds(chunk * 4)) > 0) await yieldToLoop();
  };
  if (policy.maxAgeMs !== undefined) {
    const cutoff = now - policy.maxAgeMs;
    result.deleted += await deleteBefore(cutoff);
    timed(() => db.prepare(`DELETE FROM traces WHERE end < ?`).run(cutoff).changes);
  }
  if (policy.maxBytes !== undefined) {
    while (usedBytes(index) > policy.maxBytes) {
      const cutoff = index.cutoffForOldest(chunk);
      const n = cutoff === undefined ? 0 : await deleteBefore(cutoff);
      result.deleted += n;
      if (n === 0) break;
      // The size counts the lines' blocks and the ID runs: what only served deleted lines goes before it is measured again.
      await reclaim();
      await yieldToLoop();
    }
  }
  await reclaim();
  // The export's change log: a day back is plenty (the exporter deletes what it has handled).
  timed(() => db.prepare(`DELETE FROM batches WHERE committed_at < ?`).run(now - CHANGE_LOG_MS).changes);
  // Give the freed pages back to the file system, a bounded number at a time.
  for (let freed = 1; freed > 0; ) {
    const before = db.pragma('freelist_count', { simple: true }) as number;
    timed(() => {
      db.pragma('incremental_vacuum(2000)');
      return 0;
    });
    freed = before - (db.pragma('freelist_count', { simple: true }) as number);
    if (freed > 0) await yieldToLoop();
  }
  result.bytesAfter = usedBytes(index);
  return result;
}
