/** Bytes of pages in use (the file may be larger until free pages are vacuumed away). */
export function usedBytes(index) {
    const pageSize = index.db.pragma('page_size', { simple: true });
    const pages = index.db.pragma('page_count', { simple: true });
    const free = index.db.pragma('freelist_count', { simple: true });
    return (pages - free) * pageSize;
}
const CHANGE_LOG_MS = 24 * 3600_000;
const yieldToLoop = () => new Promise((r) => setImmediate(r));
export async function applyRetention(index, policy, now = Date.now()) {
    const chunk = policy.chunkRows ?? 5000;
    const db = index.db;
    const result = { deleted: 0, bytesBefore: usedBytes(index), bytesAfter: 0, longestPauseMs: 0 };
    const deleteOlder = db.prepare(`DELETE FROM records WHERE id IN (SELECT id FROM records WHERE time < ? ORDER BY time LIMIT ?)`);
    const deleteOldest = db.prepare(`DELETE FROM records WHERE id IN (SELECT id FROM records ORDER BY time LIMIT ?)`);
    const timed = (f) => {
        const t = process.hrtime.bigint();
        const n = f();
        result.longestPauseMs = Math.max(result.longestPauseMs, Number(process.hrtime.bigint() - t) / 1e6);
        return n;
    };
    // The blocks whose lines are all deleted, and the ID runs that only point at deleted records
    // (whole; merges pending move on).
    const reclaim = async () => {
        while (timed(() => index.reclaimBlocks(chunk / 16)) > 0)
            await yieldToLoop();
        while (timed(() => index.reclaimIds(chunk * 4)) > 0)
            await yieldToLoop();
    };
    if (policy.maxAgeMs !== undefined) {
        const cutoff = now - policy.maxAgeMs;
        for (;;) {
            const n = timed(() => deleteOlder.run(cutoff, chunk).changes);
            result.deleted += n;
            if (n < chunk)
                break;
            await yieldToLoop();
        }
        timed(() => db.prepare(`DELETE FROM traces WHERE end < ?`).run(cutoff).changes);
    }
    if (policy.maxBytes !== undefined) {
        while (usedBytes(index) > policy.maxBytes) {
            const n = timed(() => deleteOldest.run(chunk).changes);
            result.deleted += n;
            if (n === 0)
                break;
            // The size counts the lines' blocks and the ID runs: what only served deleted lines goes before it is measured again.
            await reclaim();
            await yieldToLoop();
        }
    }
    await reclaim();
    // The export's change log: a day back is plenty (the exporter deletes what it has handled).
    timed(() => db.prepare(`DELETE FROM batches WHERE committed_at < ?`).run(now - CHANGE_LOG_MS).changes);
    // Give the freed pages back to the file system, a bounded number at a time.
    for (let freed = 1; freed > 0;) {
        const before = db.pragma('freelist_count', { simple: true });
        timed(() => {
            db.pragma('incremental_vacuum(2000)');
            return 0;
        });
        freed = before - db.pragma('freelist_count', { simple: true });
        if (freed > 0)
            await yieldToLoop();
    }
    result.bytesAfter = usedBytes(index);
    return result;
}
//# sourceMappingURL=retention.js.map