/**
 * What a diagnosis looks at, read once from a trace: the failure's shape (status, who answered
 * it, upgrade asked and 101 given, the gateway's close code) and the evidence, each line with the
 * tier that joined it. Causes are claimed only when this shape fits them (catalog.ts).
 */
import { asksForWebSocket } from '../../parsers/record.js';
/** The gateway's lifecycle lines around the request (context, tier 4), oldest first. */
export const lifecycleLines = (f) => f.context.filter((c) => c.record.event === 'lifecycle').map((c) => c.record);
/** Lines of a gateway starting: before it listens (`config` is the first line a new process writes). */
export const STARTING = new Set(['starting', 'http-starting']);
export const START_LINES = new Set(['config', ...STARTING]);
/** Error kinds that mean no connection to the upstream was made. */
const NO_CONNECTION = new Set([
    'upstream-refused',
    'upstream-no-route',
    'upstream-address-unavailable',
    'upstream-permission-denied',
    'upstream-connect-timeout',
    'no-live-upstreams',
    'upstream-resolve',
]);
const LOOPBACK = /^(127\.|::1$|::ffff:127\.|localhost$)/;
export const isLoopback = (addr) => addr !== undefined && LOOPBACK.test(addr.replace(/^\[|\]$/g, ''));
function forwardedClientOf(r) {
    if (!r)
        return undefined;
    const chain = [
        ...(r.forwardedFor
            ?.split(',')
            .map((x) => x.trim())
            .filter(Boolean) ?? []),
        ...(r.clientAddr ? [r.clientAddr] : []),
    ];
    return [...chain].reverse().find((a) => !isLoopback(a)) ?? chain.at(-1);
}
function subtree(spans, root) {
    const out = [root];
    for (let i = 0; i < out.length; i++)
        for (const s of spans)
            if (s.parentSpanId === out[i].spanId)
                out.push(s);
    return out;
}
const isProxyHop = (s) => s.kind === 'SERVER' && s.service !== 'openclaw-gateway';
/** Who answered the innermost hop's status, from its upstream columns or Caddy's upstream lines. */
function answererOf(inner, events) {
    if (!inner)
        return {};
    if (inner.source === 'caddy-access') {
        // Caddy's access line does not say; its reverse-proxy "upstream roundtrip" line does.
        const trip = events.find((e) => e.source === 'caddy-proxy' && e.errorKind === undefined && e.status !== undefined);
        if (trip)
            return { by: 'upstream', status: trip.status };
        if (events.some((e) => e.errorKind !== undefined && (e.source === 'caddy-error' || e.status !== undefined)))
            return { by: 'proxy' };
        return {};
    }
    const a = inner.upstreams?.at(-1);
    if (!a)
        return {};
    // nginx writes 502/504 as the upstream's status when it never got a header (refused, reset, timed out).
    if (a.headerMs !== undefined || a.status === 101 || (a.status !== undefined && a.status < 500))
        return { by: 'upstream', status: a.status };
    return { by: 'proxy' };
}
/**
 * What counts as a failure: a 5xx; an upgrade that did not get its 101; a 101 the proxy cut or
 * that the gateway closed abnormally; a 200 whose body was cut; a 499 or status 0 (the client gave
 * up); a 403 the gateway answered. Crash cuts and reloads are added from the index (diagnose.ts).
 */
export function factsOf(trace) {
    const hops = trace.spans.filter(isProxyHop);
    const roots = hops.filter((h) => !hops.some((o) => o !== h && subtree(trace.spans, o).includes(h)));
    // A client that reused its request ID made siblings: the failing one is diagnosed (the latest).
    const rootFacts = roots.map((r) => build(trace, r));
    const failing = rootFacts.filter((f) => f.failed);
    return failing.at(-1) ?? rootFacts.at(-1) ?? build(trace, undefined);
}
function build(trace, root) {
    const spans = root ? subtree(trace.spans, root) : trace.spans;
    const hops = spans.filter(isProxyHop);
    // The hop that talked to the gateway: no other hop below it (directly, or under one of its attempts).
    const under = (o, h) => o.parentSpanId === h.spanId || spans.find((s) => s.spanId === o.parentSpanId)?.parentSpanId === h.spanId;
    const innerHop = hops.filter((h) => !hops.some((o) => under(o, h))).at(-1) ?? root;
    const inner = innerHop?.record;
    const access = hops.map((h) => h.record).filter(Boolean);
    const attempts = inner?.upstreams ?? [];
    const tierOf = new Map();
    for (const a of access)
        tierOf.set(a, 1);
    const events = spans.flatMap((s) => s.events);
    for (const e of events)
        tierOf.set(e.record, e.join.tier);
    const errorRecords = events.map((e) => e.record).filter((e) => e.errorKind !== undefined);
    const gateway = spans.find((s) => s.service === 'openclaw-gateway' && s.kind === 'SERVER');
    if (gateway?.record)
        tierOf.set(gateway.record, gateway.join.tier);
    const status = root?.status;
    const innerStatus = innerHop?.status;
    const upgradeRequested = access.some(asksForWebSocket) || innerStatus === 101;
    const switched = innerStatus === 101 || (upgradeRequested && innerStatus === 0);
    const { by: answeredBy, status: upstreamStatus } = answererOf(inner, events.map((e) => e.record));
    const closeCode = gateway?.record?.closeCode;
    const kinds = new Set(errorRecords.map((e) => e.errorKind));
    const reachedGateway = answeredBy === 'upstream' || gateway !== undefined || attempts.some((a) => a.connectMs !== undefined)
        ? true
        : [...kinds].some((k) => NO_CONNECTION.has(k))
            ? false
            : undefined;
    const firstBad = attempts.findIndex((a) => a.status === undefined || a.status >= 500);
    const succeededAfter = firstBad >= 0 && attempts.slice(firstBad + 1).some((a) => a.status !== undefined && a.status < 500);
    const bodyCut = errorRecords.some((e) => e.errorKind === 'upstream-body-timeout' ||
        e.errorKind === 'upstream-incomplete-response' ||
        e.errorKind === 'upstream-premature-close');
    // A 403 is a failure when the gateway answered it (its proxy checks), not when the proxy's own rules did.
    const gateway403 = innerStatus === 403 && answeredBy === 'upstream';
    const gatewayClosedAbnormally = closeCode !== undefined && closeCode !== 1000 && closeCode !== 1001;
    // The gateway gave up on a session that never sent its connect frame (a client that leaves first is not a failure).
    const neverConnected = gateway?.record?.event === 'ws-closed-before-connect' && /handshake.?time/i.test(gateway.record.cause ?? '');
    const failed = (status ?? 0) >= 500 ||
        (innerStatus ?? 0) >= 500 ||
        status === 499 ||
        gateway403 ||
        (status === 0 && !upgradeRequested) ||
        (upgradeRequested && !switched) ||
        kinds.has('ws-idle-timeout') ||
        (switched && (gatewayClosedAbnormally || neverConnected)) ||
        bodyCut;
    const start = root?.start ?? Math.min(...trace.spans.map((s) => s.start));
    const end = root?.end ?? Math.max(...trace.spans.map((s) => s.end));
    return {
        status,
        innerStatus,
        start,
        end,
        duration: root ? root.end - root.start : undefined,
        region: inner?.region,
        access,
        attempts,
        errorRecords,
        tierOf,
        nearby: [],
        context: trace.context,
        upgradeRequested,
        switched,
        answeredBy,
        upstreamStatus,
        reachedGateway,
        gateway,
        closeCode,
        forwardedClient: forwardedClientOf(inner),
        succeededAfter,
        failed,
        errors: (...ks) => errorRecords.filter((e) => ks.includes(e.errorKind)),
    };
}
//# sourceMappingURL=facts.js.map