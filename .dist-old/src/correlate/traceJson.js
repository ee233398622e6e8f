/**
 * The trace JSON: what `claw-trace <id> --json` prints and what the agent's /v1/requests/:id
 * answers, so one region's lookup can merge another region's answer into its waterfall.
 *
 * One contract: the JSON Schema below (TypeBox) is the API's 200 response schema, the validator
 * of other agents' answers (correlate/merge.ts), and, through `Static`, the TypeScript type of
 * what `traceJson` returns. A field added here is added everywhere at once.
 */
import { Type } from '@sinclair/typebox';
import { LogRecord, SOURCE_KINDS } from '../../parsers/record.js';
/** Where a line is and what it says (the line as written is `text`). */
export const LineJsonSchema = Type.Object({
    file: Type.Optional(Type.String()),
    lineNo: Type.Optional(Type.Integer()),
    offset: Type.Optional(Type.Integer()),
    source: Type.Union(SOURCE_KINDS.map((k) => Type.Literal(k))),
    time: Type.Number(),
    region: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    text: Type.String(),
});
const JoinSchema = Type.Object({
    tier: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)]),
    how: Type.String(),
    confidence: Type.Number(),
});
const SpanJsonSchema = Type.Object({
    spanId: Type.String(),
    parentSpanId: Type.Optional(Type.String()),
    kind: Type.Union([Type.Literal('SERVER'), Type.Literal('CLIENT'), Type.Literal('INTERNAL')]),
    service: Type.Union([Type.Literal('nginx'), Type.Literal('caddy'), Type.Literal('openclaw-gateway')]),
    name: Type.String(),
    start: Type.Number(),
    end: Type.Number(),
    durationMs: Type.Number(),
    status: Type.Optional(Type.Integer()),
    error: Type.Boolean(),
    region: Type.Optional(Type.String()),
    join: JoinSchema,
    phases: Type.Optional(Type.Object({
        connectMs: Type.Optional(Type.Number()),
        headerMs: Type.Optional(Type.Number()),
        responseMs: Type.Optional(Type.Number()),
    })),
    attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    line: Type.Optional(LineJsonSchema),
    events: Type.Array(Type.Object({ time: Type.Number(), name: Type.String(), join: JoinSchema, line: LineJsonSchema })),
});
const CauseJsonSchema = Type.Object({
    id: Type.String(),
    title: Type.String(),
    confidence: Type.Number(),
    basis: Type.Union([Type.Literal('direct'), Type.Literal('inferred'), Type.Literal('shape')]),
    measured: Type.Optional(Type.Object({ claimed: Type.Integer(), right: Type.Integer() })),
    detail: Type.String(),
    fix: Type.String(),
    evidence: Type.Array(LineJsonSchema),
});
export const TraceJsonSchema = Type.Object({
    requestId: Type.String(),
    traceId: Type.String(),
    spans: Type.Array(SpanJsonSchema),
    context: Type.Array(Type.Object({ what: Type.String(), join: JoinSchema, line: LineJsonSchema })),
    clockSkews: Type.Array(Type.Object({ region: Type.String(), relativeTo: Type.String(), ms: Type.Number(), corrected: Type.Boolean() })),
    diagnosis: Type.Object({
        failed: Type.Boolean(),
        status: Type.Optional(Type.Integer()),
        missing: Type.Array(Type.String()),
        causes: Type.Array(CauseJsonSchema),
    }),
});
export function lineJson(r) {
    return {
        file: r.file,
        lineNo: r.lineNo,
        offset: r.offset,
        source: r.source,
        time: r.time,
        region: r.region,
        message: r.message,
        text: r.raw,
    };
}
/** A line of an answer as a record to render (what the JSON does not carry stays undefined). */
export function lineRecord(l) {
    const r = new LogRecord(l.source, l.time);
    r.file = l.file;
    r.lineNo = l.lineNo;
    r.offset = l.offset;
    r.message = l.message;
    return Object.assign(r, { rowId: 0, region: l.region, raw: l.text });
}
export function traceJson(trace, d) {
    return {
        requestId: trace.requestId,
        traceId: trace.traceId,
        spans: trace.spans.map((s) => ({
            spanId: s.spanId,
            parentSpanId: s.parentSpanId,
            kind: s.kind,
            service: s.service,
            name: s.name,
            start: s.start,
            end: s.end,
            durationMs: s.end - s.start,
            status: s.status,
            error: s.error,
            region: s.region,
            join: s.join,
            phases: s.phases,
            attributes: s.attrs,
            line: s.record && lineJson(s.record),
            events: s.events.map((e) => ({ time: e.time, name: e.name, join: e.join, line: lineJson(e.record) })),
        })),
        context: trace.context.map((c) => ({ what: c.what, join: c.join, line: lineJson(c.record) })),
        clockSkews: trace.skews,
        diagnosis: {
            failed: d.failed,
            status: d.status,
            missing: d.missing,
            causes: d.causes.map((c) => ({
                id: c.id,
                title: c.title,
                confidence: c.confidence,
                basis: c.basis,
                ...(c.measured ? { measured: c.measured } : {}),
                detail: c.detail,
                fix: c.fix,
                evidence: c.evidence.map(lineJson),
            })),
        },
    };
}
//# sourceMappingURL=traceJson.js.map