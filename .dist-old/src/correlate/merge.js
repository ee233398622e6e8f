/**
 * Lookups across regions: the regional agents' answers (trace JSON, checked against its schema
 * by the caller) merged into one trace ordered by skew-corrected time.
 */
import { SKEW_CAP_MS } from './assemble.js';
import { lineRecord } from './traceJson.js';
/** One trace from several agents' answers: hops of later regions shifted into the outer hop's attempt when the clocks disagree. */
export function mergeTraces(traces) {
    const spans = new Map();
    const skews = [];
    // The outermost answer first: the one whose longest SERVER span is longest.
    const outerFirst = [...traces].sort((a, b) => longest(b) - longest(a));
    for (const [i, t] of outerFirst.entries()) {
        let shift = 0;
        if (i > 0) {
            const inner = t.spans.filter((s) => s.kind === 'SERVER').sort((a, b) => b.end - b.start - (a.end - a.start))[0];
            const attempt = [...spans.values()]
                .filter((s) => s.kind === 'CLIENT')
                .sort((a, b) => b.end - b.start - (a.end - a.start))[0];
            if (inner && attempt && (inner.start < attempt.start || inner.end > attempt.end)) {
                const ms = (attempt.start + attempt.end) / 2 - (inner.start + inner.end) / 2;
                const corrected = Math.abs(ms) <= SKEW_CAP_MS;
                if (corrected)
                    shift = ms;
                skews.push({ region: inner.region ?? '?', relativeTo: attempt.region ?? '?', ms: -ms, corrected });
            }
        }
        for (const s of t.spans) {
            if (spans.has(s.spanId))
                continue;
            spans.set(s.spanId, {
                spanId: s.spanId,
                parentSpanId: s.parentSpanId,
                kind: s.kind,
                service: s.service,
                name: s.name,
                start: s.start + shift,
                end: s.end + shift,
                status: s.status,
                error: s.error,
                region: s.region,
                record: s.line && lineRecord(s.line),
                join: s.join,
                phases: s.phases,
                attrs: s.attributes,
                events: s.events.map((e) => ({ time: e.time + shift, name: e.name, join: e.join, record: lineRecord(e.line) })),
            });
        }
        skews.push(...t.clockSkews);
    }
    // The diagnosis: the failed one with the most confident cause (the region where it failed).
    const best = [...traces].sort((a, b) => score(b) - score(a))[0];
    if (!best)
        throw new Error('mergeTraces needs at least one trace');
    const d = best.diagnosis;
    return {
        trace: {
            traceId: best.traceId,
            requestId: best.requestId,
            spans: [...spans.values()],
            skews,
            context: traces.flatMap((t) => t.context.map((c) => ({ what: c.what, join: c.join, record: lineRecord(c.line) }))),
        },
        diagnosis: {
            failed: d.failed,
            status: d.status,
            missing: d.missing,
            causes: d.causes.map((c) => ({ ...c, evidence: c.evidence.map(lineRecord) })),
        },
    };
}
const longest = (t) => Math.max(0, ...t.spans.filter((s) => s.kind === 'SERVER').map((s) => s.end - s.start));
const score = (t) => (t.diagnosis.failed ? 1 : 0) + (t.diagnosis.causes[0]?.confidence ?? 0) / 2;
//# sourceMappingURL=merge.js.map