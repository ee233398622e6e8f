/**
 * The API's heavy reads, as plain functions of an index: the failure report (a diagnosis per
 * failed request), a window of access lines, the recent-5xx figures of /metrics. They run in the
 * query threads (queryPool.ts), each with its own read-only connection, never on the thread
 * that reads the logs and answers /healthz.
 */
import { failureReport } from '../diagnose/failureReport.js';
import { rehydrate } from '../store/rehydrate.js';
export function runQuery(index, q) {
    switch (q.kind) {
        case 'failures': {
            const { cause, ...args } = q.args;
            const report = failureReport(index, args);
            const only = (xs) => (cause ? xs.filter((x) => x.cause === cause) : xs);
            return {
                json: JSON.stringify({
                    ...report,
                    causes: only(report.causes),
                    groups: only(report.groups),
                    region: q.label.region,
                    builder: q.label.builder,
                }),
            };
        }
        case 'requests': {
            const requests = rehydrate(index.search({ ...q.args, accessOnly: true })).map((r) => ({
                requestId: r.requestId ?? null,
                time: r.time,
                status: r.status ?? null,
                source: r.source,
                region: r.region ?? null,
                method: r.method ?? null,
                path: (r.uri ?? '').split('?')[0] ?? '',
                file: r.file,
                line: r.lineNo,
            }));
            return { json: JSON.stringify({ from: q.args.from, to: q.args.to, requests }) };
        }
        case 'recent5xx': {
            const report = failureReport(index, { ...q.args, limit: 500 });
            return {
                groups: report.groups.map((g) => ({ cause: g.cause, region: g.region, count: g.count })),
                joinTiers: report.joinTiers,
            };
        }
    }
}
//# sourceMappingURL=queries.js.map