/**
 * The trace JSON's schema (TypeBox): the agent API's 200 response schema, the validator of other
 * agents' answers (correlate/merge.ts, cli/remoteLookup.ts), and, through `Static`, the
 * TypeScript type of what `traceJson` returns. A field added here is added everywhere at once.
 *
 * Its own module: TypeBox takes ~100 ms to load, which a local `claw-trace <id>` (importing only
 * the converters in traceJson.ts, and these types) does not pay.
 */
import { Type } from '@sinclair/typebox';
import { SOURCE_KINDS } from '../../parsers/record.js';
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
//# sourceMappingURL=traceSchema.js.map