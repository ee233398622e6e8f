/**
 * Runs the catalog over a trace. A cause is claimed only when the failure's shape fits it; claims
 * decided by lines joined to the request come before those decided by inferred joins, which come
 * before shape-with-context; the confidence printed is the precision the labelled corpus measured
 * for that cause, so decided (calibration.ts). Nothing fits: "unknown", with what was missing.
 */
import { hostPort, inRegion } from '../correlate/assemble.js';
import { rehydrate } from '../store/rehydrate.js';
import { CALIBRATION, UNMEASURED_CAP } from './calibration.js';
import { BASIS_RANK, CAUSES, fits, fromErrors, reloadOf } from './catalog.js';
import { factsOf, lifecycleLines, START_LINES } from './facts.js';
/**
 * Overload alerts name no request: found around it in the error logs of its own region, or of a
 * region the request has no line in (the next hop, out of connections, never logged it).
 */
function nearby(index, f, trace) {
    if (f.duration === undefined)
        return [];
    const regions = new Set(trace.spans.map((s) => s.region ?? ''));
    return rehydrate(index.window(f.start - 5000, f.end + 5000, ['nginx-error', 'caddy-runtime'])).filter((e) => (e.errorKind === 'worker-connections' || e.errorKind === 'too-many-open-files') &&
        (inRegion(e, f.region) || !regions.has(e.region ?? '')));
}
const UP = new Set(['listening', 'ready']);
/** The upstream address an error line names (nginx `upstream: "http://A/..."`, Caddy `dial tcp A: ...`). */
const addrOf = (e) => hostPort(e.upstreamUrl) ?? /dial tcp (\S+?):? /.exec(e.message ?? '')?.[1];
/**
 * A gateway crash around the request: a restart (its first line, "loading configuration") that no
 * clean shutdown preceded since it last came up, the gateway silent from the request on (it logs
 * nothing when killed), and the request failed before it listened again: refused, cut, or a
 * WebSocket the gateway never closed itself, ended when it went silent, with the reconnects refused
 * within two seconds.
 */
function crashAround(index, f) {
    const failedLines = f.errors('upstream-refused', 'upstream-reset', 'upstream-premature-close', 'upstream-incomplete-response');
    const cutSession = f.switched && f.gateway === undefined;
    if ((!cutSession && failedLines.length === 0) || f.refusedAfterListening)
        return undefined;
    const life = lifecycleLines(f);
    const up = life.filter((r) => r.time <= f.end && UP.has(r.lifecycle ?? '')).at(-1);
    const from = up?.time ?? f.end - 120_000;
    const start = life.find((r) => r.time > from && START_LINES.has(r.lifecycle ?? ''));
    if (!start)
        return undefined;
    if (life.some((r) => r.lifecycle === 'shutdown' && r.time >= from && r.time <= start.time))
        return undefined; // a clean stop
    const lastSeen = rehydrate(index.window(start.time - 120_000, start.time - 1, ['openclaw']))
        .filter((g) => inRegion(g, f.region))
        .at(-1) ?? up;
    // It was alive after the request: not killed under it (a session it died under ends when it dies).
    if (!lastSeen || lastSeen.time > f.end + (failedLines.length ? 1000 : 100))
        return undefined;
    const back = life.find((r) => r.time > start.time && r.lifecycle === 'listening');
    if (back && f.end > back.time + 1000)
        return undefined;
    let sessionsCut = 0;
    if (failedLines.length === 0) {
        // Clients closing together look the same; a gateway that died refuses the reconnects at once.
        const refusedNext = rehydrate(index.window(f.end, f.end + 2000, ['nginx-error', 'caddy-error'])).some((e) => e.errorKind === 'upstream-refused' && inRegion(e, f.region));
        if (!refusedNext)
            return undefined;
        sessionsCut = rehydrate(index.upgradesBetween(f.end - 1000, f.end + 1000)).filter((r) => inRegion(r, f.region)).length;
    }
    return { start, lastSeen, sessionsCut, cutSession };
}
/**
 * Refused at the same address after the gateway listened, and never answered there: the port is
 * wrong (a stale region, a reload to the wrong port), whatever restarted nearby. An answer from
 * that address in the minute after proves it is the gateway's.
 */
function refusedAfterListening(index, f) {
    const addrs = new Set(f
        .errors('upstream-refused')
        .map(addrOf)
        .filter((a) => a !== undefined));
    if (addrs.size === 0)
        return false;
    const listening = lifecycleLines(f).find((r) => r.lifecycle === 'listening' && r.time > f.end - 1000);
    if (!listening)
        return false;
    const to = listening.time + 60_000;
    const answered = rehydrate([
        ...index.search({ from: listening.time, to, region: f.region, accessOnly: true, limit: 2000 }),
        ...index.window(listening.time, to, ['caddy-proxy']),
    ]).some((r) => inRegion(r, f.region) &&
        r.errorKind === undefined &&
        (r.upstreams ?? []).some((u) => addrs.has(u.addr) && (u.headerMs !== undefined || (u.status !== undefined && u.status < 500))));
    if (answered)
        return false;
    return rehydrate(index.window(listening.time + 2000, to, ['nginx-error', 'caddy-error'])).some((e) => e.errorKind === 'upstream-refused' && inRegion(e, f.region) && addrs.has(addrOf(e) ?? ''));
}
/**
 * A WebSocket the gateway took while it was coming up: opened after its "starting HTTP server"
 * line (it listens a moment before it says so) and ended before its "ready" line.
 */
function notReadyWindow(f) {
    if (!f.switched || (f.gateway !== undefined && f.closeCode !== 1013))
        return undefined;
    const life = lifecycleLines(f);
    const listening = life
        .filter((r) => (r.lifecycle === 'listening' || r.lifecycle === 'http-starting') && r.time <= f.start + 1000)
        .at(-1);
    const next = listening &&
        life.find((r) => r.time > listening.time &&
            (r.lifecycle === 'ready' || r.lifecycle === 'shutdown' || START_LINES.has(r.lifecycle ?? '')));
    return listening && next?.lifecycle === 'ready' && next.time >= f.end ? { listening, ready: next } : undefined;
}
function confidenceOf(c, basis, first) {
    const cell = CALIBRATION[c.id]?.[first ? basis : `${basis}:secondary`];
    if (cell && cell.claimed > 0)
        return { confidence: Math.round(((cell.right + 1) / (cell.claimed + 2)) * 100) / 100, measured: cell };
    return { confidence: Math.min(c.prior, UNMEASURED_CAP) };
}
export function diagnose(trace, index) {
    const f = factsOf(trace);
    if (index) {
        f.nearby = nearby(index, f, trace);
        f.refusedAfterListening = refusedAfterListening(index, f);
        f.crash = crashAround(index, f);
        f.notReadyWindow = notReadyWindow(f);
        // Failures that leave no error line: a session the gateway died under, one it closed while not
        // ready, one a proxy reload closed.
        if (f.crash?.cutSession || f.notReadyWindow || reloadOf(f))
            f.failed = true;
    }
    const d = { failed: f.failed, status: f.status, causes: [], missing: [] };
    if (!f.failed)
        return d;
    const found = [];
    CAUSES.forEach((c, order) => {
        if (!c.fit.some((fit) => fits(fit, f)))
            return;
        const finding = c.test ? c.test(f) : fromErrors(f, c.kinds ?? []);
        if (finding)
            found.push({ c, finding, order });
    });
    // Joined evidence decides; inferred joins only where nothing joined says otherwise; then the catalog's order.
    found.sort((a, b) => BASIS_RANK[a.finding.basis] - BASIS_RANK[b.finding.basis] || a.order - b.order);
    const superseded = new Set();
    for (const { c, finding } of found) {
        if (superseded.has(c.id))
            continue; // a more specific cause already explains it
        d.causes.push({
            id: c.id,
            title: c.title,
            ...confidenceOf(c, finding.basis, d.causes.length === 0),
            basis: finding.basis,
            detail: finding.detail,
            evidence: finding.evidence,
            fix: c.fix,
        });
        for (const s of c.supersedes ?? [])
            superseded.add(s);
    }
    if (d.causes.length === 0) {
        if (f.errorRecords.length === 0)
            d.missing.push('no proxy error line joined this request (is the error log indexed, at level info?)');
        if (!trace.spans.some((s) => s.service === 'openclaw-gateway'))
            d.missing.push('no gateway line joined this request (is the gateway log indexed?)');
        if (f.access.length === 0)
            d.missing.push('no access line carries this request ID');
        if (f.errorRecords.length > 0)
            d.missing.push(`the error lines joined (${[...new Set(f.errorRecords.map((e) => e.errorKind))].join(', ')}) do not fit a ${f.innerStatus ?? f.status}${f.answeredBy ? ` answered by the ${f.answeredBy === 'upstream' ? 'gateway' : 'proxy'}` : ''}`);
        if (f.nearby.length > 0)
            d.missing.push(`around it (context, not proof): ${f.nearby.length} overload alert(s) of the proxy (${f.nearby[0].errorKind})`);
    }
    return d;
}
//# sourceMappingURL=diagnose.js.map