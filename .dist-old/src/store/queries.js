const ACCESS = `('nginx-access', 'caddy-access')`;
/** Unreadable lines in the index by reason (the agent's `claw_trace_parse_errors`). */
export function parseErrorsByReason(index) {
    return index.prepared(`SELECT reason, sum(count) AS n FROM parse_errors GROUP BY reason`).all();
}
/** The change log's batches after `seq`, oldest first. */
export function changesAfter(index, seq, limit) {
    const n = Math.max(1, Math.min(100_000, Math.floor(limit)));
    return index
        .prepared(`SELECT seq, first_id, last_id FROM batches WHERE seq > ? ORDER BY seq LIMIT ${n}`)
        .all(seq);
}
/** The lines of one batch (what the exporter needs of them). */
export function linesOfChange(index, b) {
    return index
        .prepared(`SELECT time, source, request_id, status FROM records WHERE id BETWEEN ? AND ?`)
        .all(b.first_id, b.last_id);
}
export function hasChangesAfter(index, seq) {
    return index.prepared(`SELECT 1 FROM batches WHERE seq > ? LIMIT 1`).pluck().get(seq) !== undefined;
}
/** The exporter has handled everything up to `seq`. */
export function forgetChangesUpTo(index, seq) {
    index.prepared(`DELETE FROM batches WHERE seq <= ?`).run(seq);
}
// ---- failures and traffic ---------------------------------------------------------------------
/**
 * Access lines that may be failures: errors, client aborts, every 101/status 0 (cut WebSockets),
 * every request that asked for an upgrade (one not forwarded can be answered 200), and nginx
 * lines whose connection has an error line in the window (a 200 whose body was cut). Newest first.
 */
export function failureCandidates(index, o) {
    const where = [
        `source IN ${ACCESS}`,
        'time >= ?',
        'time < ?',
        `(status >= 400 OR status IN (0, 101) OR status IS NULL OR upgrade = 1
    OR (source = 'nginx-access' AND conn IN (SELECT conn FROM records WHERE source = 'nginx-error' AND error_kind IS NOT NULL AND time >= ? AND time < ?)))`,
    ];
    const args = [o.from, o.to, o.from - 2000, o.to + 2000];
    if (o.region !== undefined) {
        where.push('(id >> 40) IN (SELECT id FROM files WHERE region = ?)');
        args.push(o.region);
    }
    return index
        .prepared(`SELECT request_id AS requestId FROM records WHERE ${where.join(' AND ')} ORDER BY time DESC`)
        .all(...args);
}
/** Access lines of a window by region ('-': none). */
export function accessByRegion(index, from, to) {
    return index
        .prepared(`SELECT coalesce(f.region, '-') AS region, count(*) AS n FROM records r JOIN files f ON f.id = r.id >> 40
    WHERE r.time >= ? AND r.time < ? AND r.source IN ${ACCESS} GROUP BY 1`)
        .all(from, to);
}
/** Answered access lines of a window (status 100..399, not 101). */
export function plainSuccesses(index, from, to) {
    return index
        .prepared(`SELECT count(*) FROM records WHERE time >= ? AND time < ? AND source IN ${ACCESS} AND status >= 100 AND status < 400 AND status <> 101`)
        .pluck()
        .get(from, to);
}
/** Access lines per minute of a window (minute: epoch ms / 60000, floored). */
export function accessPerMinute(index, from, to) {
    return index
        .prepared(`SELECT time / 60000 AS m, count(*) AS n FROM records WHERE time >= ? AND time < ? AND source IN ${ACCESS} GROUP BY 1`)
        .all(from, to);
}
//# sourceMappingURL=queries.js.map