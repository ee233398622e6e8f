/**
 * Fleet patterns: what the failures of a window have in common that no single request shows.
 * Each pattern is a row: its test over the failures and the window's traffic, and what it points
 * to. Reported beside the per-request causes by `claw-trace 5xx`.
 */
import { accessByRegion, accessPerMinute, plainSuccesses } from '../store/queries.js';
import { rehydrate } from '../store/rehydrate.js';
const MIN_FAILURES = 3;
const RULES = [
    {
        id: 'only-one-region',
        test: (f, t) => {
            const regions = new Set(f.map((x) => x.region));
            if (regions.size !== 1)
                return undefined;
            const [region] = regions;
            const elsewhere = [...t.byRegion.entries()].filter(([r, n]) => r !== region && n > 0);
            if (elsewhere.length === 0)
                return undefined;
            return {
                id: 'only-one-region',
                summary: `every failure is in ${region}, while ${elsewhere.map(([r, n]) => `${r} served ${n} requests`).join(', ')} without one`,
                pointsTo: 'something only that region or builder has: stale DNS, an old builder image, a config that drifted, its network path',
            };
        },
    },
    {
        id: 'only-websocket',
        test: (f, t) => {
            if (!f.every((x) => x.websocket) || t.plainOk === 0)
                return undefined;
            return {
                id: 'only-websocket',
                summary: `every failure is a WebSocket (WSS) request, while ${t.plainOk} plain HTTP requests succeeded`,
                pointsTo: 'the WebSocket path: Upgrade/Connection forwarding, proxy read timeouts on idle sessions, the CDN or load balancer in front',
            };
        },
    },
    {
        id: 'only-via-cdn',
        test: (f, t) => {
            if (!f.every((x) => x.viaFront) || t.directOk === 0)
                return undefined;
            return {
                id: 'only-via-cdn',
                summary: `every failure came through a CDN or load balancer (X-Forwarded-For set), while requests straight from clients succeeded`,
                pointsTo: 'the CDN/LB: its timeouts, WebSocket support, the X-Forwarded-For chain against gateway.trustedProxies, its origin address',
            };
        },
    },
    {
        id: 'after-restart',
        test: (f, t) => {
            if (t.restarts.length === 0)
                return undefined;
            const near = f.filter((x) => t.restarts.some((r) => x.time >= r - 5_000 && x.time <= r + 60_000));
            if (near.length < 0.8 * f.length)
                return undefined;
            return {
                id: 'after-restart',
                summary: `${near.length} of ${f.length} failures fall within a minute of a gateway restart`,
                pointsTo: 'the deploy: the proxy sends traffic before the gateway listens; gate the switch on /readyz and let the proxy retry',
            };
        },
    },
    {
        id: 'under-load',
        test: (f, t) => {
            const counts = [...t.perMinute.values()].sort((a, b) => a - b);
            if (counts.length < 5)
                return undefined;
            const median = counts[Math.floor(counts.length / 2)];
            const busy = f.filter((x) => (t.perMinute.get(Math.floor(x.time / 60_000)) ?? 0) >= 2 * median);
            if (busy.length < 0.8 * f.length)
                return undefined;
            return {
                id: 'under-load',
                summary: `${busy.length} of ${f.length} failures fall in minutes with at least twice the median traffic (${median} requests a minute)`,
                pointsTo: 'capacity: worker_connections and open-file limits, the gateway event loop, accept backlog',
            };
        },
    },
];
/** The traffic of a window, from the index (counts only: cheap). */
export function trafficOf(index, from, to) {
    const byRegion = new Map(accessByRegion(index, from, to).map((x) => [x.region, x.n]));
    const plainOk = plainSuccesses(index, from, to);
    const restarts = rehydrate(index.window(from - 60_000, to, ['openclaw']))
        .filter((r) => r.event === 'lifecycle' &&
        (r.lifecycle === 'http-starting' ||
            r.lifecycle === 'listening' ||
            r.lifecycle === 'ready' ||
            r.lifecycle === 'starting'))
        .map((r) => r.time);
    const perMinute = new Map(accessPerMinute(index, from, to).map((x) => [Math.floor(x.m), x.n]));
    // X-Forwarded-For is not an indexed column: look at a bounded sample of the newest successes.
    const okRows = index.recentSuccesses(from, to);
    const directOk = rehydrate(okRows).filter((r) => !r.forwardedFor).length;
    return { byRegion, plainOk, restarts, perMinute, directOk };
}
function matching(failures, traffic) {
    if (failures.length < MIN_FAILURES)
        return [];
    return RULES.map((rule) => rule.test(failures, traffic)).filter((p) => p !== undefined);
}
/** Patterns of all the failures ('*'), then of each cause's failures where the whole does not show them. */
export function findPatterns(failures, traffic) {
    const all = matching(failures, traffic).map((p) => ({ ...p, cause: '*' }));
    const out = [...all];
    for (const cause of new Set(failures.map((f) => f.cause))) {
        for (const p of matching(failures.filter((f) => f.cause === cause), traffic)) {
            if (!all.some((a) => a.id === p.id))
                out.push({ ...p, cause });
        }
    }
    return out;
}
//# sourceMappingURL=patterns.js.map