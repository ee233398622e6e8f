/**
 * A trace read back from a tracing backend (`claw-trace <id> --otlp-backend URL`): Jaeger's query
 * API answers `{data: [{spans, processes}]}`, Tempo's OTLP JSON (`batches` / `resourceSpans` /
 * `trace.resourceSpans`, IDs hex or base64). Each answer is checked against its schema before it
 * is read; the spans become the same trace as a lookup in the index, with the diagnosis the agent
 * exported (`claw.diagnosis.cause`) and the error lines the spans carry as events.
 */
import { Type } from '@sinclair/typebox';
import { CAUSES } from '../diagnose/catalog.js';
import { checker } from '../util/schema.js';
import { traceIdFor } from './trace.js';
import { lineRecord } from './traceJson.js';
// Jaeger: tags are `{key, type, value}` with the value as JSON (binary tags as base64 strings).
const JaegerTag = Type.Object({ key: Type.String(), value: Type.Unknown() });
const JaegerAnswer = Type.Object({
    data: Type.Array(Type.Object({
        spans: Type.Array(Type.Object({
            spanID: Type.String({ minLength: 1 }),
            operationName: Type.String(),
            processID: Type.String(),
            startTime: Type.Number(),
            duration: Type.Number(),
            references: Type.Optional(Type.Array(Type.Object({ refType: Type.String(), spanID: Type.String() }))),
            tags: Type.Optional(Type.Array(JaegerTag)),
            logs: Type.Optional(Type.Array(Type.Object({ timestamp: Type.Number(), fields: Type.Array(JaegerTag) }))),
        })),
        processes: Type.Record(Type.String(), Type.Object({ serviceName: Type.String(), tags: Type.Optional(Type.Array(JaegerTag)) })),
    }), { minItems: 1 }),
});
// OTLP JSON: int64s may be strings (the protobuf JSON mapping) or numbers.
const Int64 = Type.Union([Type.String({ pattern: '^[0-9]{1,20}$' }), Type.Integer({ minimum: 0 })]);
const OtlpKV = Type.Object({
    key: Type.String(),
    value: Type.Optional(Type.Object({
        stringValue: Type.Optional(Type.String()),
        intValue: Type.Optional(Type.Union([Type.String({ pattern: '^-?[0-9]{1,20}$' }), Type.Integer()])),
        doubleValue: Type.Optional(Type.Number()),
        boolValue: Type.Optional(Type.Boolean()),
    })),
});
const OtlpSpans = Type.Array(Type.Object({
    spanId: Type.String({ minLength: 1 }),
    parentSpanId: Type.Optional(Type.String()),
    name: Type.String(),
    kind: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    startTimeUnixNano: Int64,
    endTimeUnixNano: Int64,
    status: Type.Optional(Type.Object({ code: Type.Optional(Type.Union([Type.String(), Type.Integer()])) })),
    attributes: Type.Optional(Type.Array(OtlpKV)),
    events: Type.Optional(Type.Array(Type.Object({ name: Type.String(), timeUnixNano: Int64, attributes: Type.Optional(Type.Array(OtlpKV)) }))),
}));
const ResourceSpans = Type.Array(Type.Object({
    resource: Type.Optional(Type.Object({ attributes: Type.Optional(Type.Array(OtlpKV)) })),
    scopeSpans: Type.Optional(Type.Array(Type.Object({ spans: Type.Optional(OtlpSpans) }))),
    instrumentationLibrarySpans: Type.Optional(Type.Array(Type.Object({ spans: Type.Optional(OtlpSpans) }))),
}));
const OtlpAnswer = Type.Union([
    Type.Object({ batches: ResourceSpans }),
    Type.Object({ resourceSpans: ResourceSpans }),
    Type.Object({ trace: Type.Object({ resourceSpans: ResourceSpans }) }),
]);
const checkJaeger = checker(JaegerAnswer);
const checkOtlp = checker(OtlpAnswer);
const KINDS = {
    server: 'SERVER',
    client: 'CLIENT',
    SPAN_KIND_SERVER: 'SERVER',
    SPAN_KIND_CLIENT: 'CLIENT',
    2: 'SERVER',
    3: 'CLIENT',
};
/** OTLP JSON's bytes: hex (the OTLP/JSON spec) or base64 (protobuf's JSON mapping, as Tempo answers). */
const hexId = (v) => {
    if (v === undefined || v === '')
        return undefined;
    return /^[0-9a-f]+$/i.test(v) && (v.length === 16 || v.length === 32)
        ? v.toLowerCase()
        : Buffer.from(v, 'base64').toString('hex');
};
const isValue = (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
/** Nanoseconds (int64) as milliseconds, to the microsecond. */
const nanosToMs = (v) => Number(BigInt(v) / 1000n) / 1000;
function tagsOf(tags) {
    const out = {};
    for (const t of tags ?? [])
        if (isValue(t.value))
            out[t.key] = t.value;
    return out;
}
function attrsOf(kvs) {
    const out = {};
    for (const { key, value: v } of kvs ?? []) {
        if (!v)
            continue;
        // OTLP JSON writes int64s as strings: they are numbers.
        const x = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
        if (x !== undefined)
            out[key] = x;
    }
    return out;
}
/** The spans of a Jaeger or OTLP JSON answer; an error saying why when it is neither. */
export function spansFromBackend(body) {
    const jaeger = checkJaeger(body);
    if (jaeger.ok) {
        const { spans, processes } = jaeger.value.data[0] ?? { spans: [], processes: {} };
        return spans.map((s) => {
            const tags = tagsOf(s.tags);
            const proc = processes[s.processID];
            const start = s.startTime / 1000;
            return {
                spanId: s.spanID,
                parentSpanId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
                name: s.operationName,
                kind: KINDS[String(tags['span.kind'])] ?? 'INTERNAL',
                start,
                end: start + s.duration / 1000,
                error: tags.error === true || tags['otel.status_code'] === 'ERROR',
                attrs: tags,
                resource: { 'service.name': proc?.serviceName ?? '?', ...tagsOf(proc?.tags) },
                events: (s.logs ?? []).map((l) => {
                    const a = tagsOf(l.fields);
                    return { name: String(a.event ?? 'log'), time: l.timestamp / 1000, attrs: a };
                }),
            };
        });
    }
    const otlp = checkOtlp(body);
    if (!otlp.ok) {
        const looksJaeger = typeof body === 'object' && body !== null && 'data' in body;
        throw new Error(`the backend answered neither Jaeger JSON nor OTLP JSON (${looksJaeger ? `as Jaeger JSON: ${jaeger.why}` : `as OTLP JSON: ${otlp.why}`})`);
    }
    const b = otlp.value;
    const rs = 'batches' in b ? b.batches : 'resourceSpans' in b ? b.resourceSpans : b.trace.resourceSpans;
    return rs.flatMap((r) => {
        const resource = attrsOf(r.resource?.attributes);
        return (r.scopeSpans ?? r.instrumentationLibrarySpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({
            spanId: hexId(s.spanId) ?? '',
            parentSpanId: hexId(s.parentSpanId),
            name: s.name,
            kind: KINDS[String(s.kind)] ?? 'INTERNAL',
            start: nanosToMs(s.startTimeUnixNano),
            end: nanosToMs(s.endTimeUnixNano),
            error: s.status?.code === 2 || s.status?.code === 'STATUS_CODE_ERROR',
            attrs: attrsOf(s.attributes),
            resource,
            events: (s.events ?? []).map((e) => ({
                name: e.name,
                time: nanosToMs(e.timeUnixNano),
                attrs: attrsOf(e.attributes),
            })),
        })));
    });
}
const SERVICES = {
    nginx: { service: 'nginx', hop: 'nginx-access', event: 'nginx-error' },
    caddy: { service: 'caddy', hop: 'caddy-access', event: 'caddy-error' },
    'openclaw-gateway': { service: 'openclaw-gateway', hop: 'openclaw', event: 'openclaw' },
};
const str = (v) => (typeof v === 'string' ? v : undefined);
const num = (v) => (typeof v === 'number' ? v : undefined);
const tierOf = (v, otherwise) => v === 1 || v === 2 || v === 3 || v === 4 ? v : otherwise;
/** An exported line (span or event attributes) as a record to render. */
const recordOf = (a, time, source) => lineRecord({
    text: String(a['log.record.original'] ?? ''),
    message: String(a['log.record.original'] ?? ''),
    file: str(a['claw.log.file']),
    lineNo: num(a['claw.log.line']),
    time,
    source,
});
/**
 * The backend's spans as a trace and the exported diagnosis (phase spans fold back into their
 * attempt). Spans of services claw-trace does not draw (an instrumented app sharing the trace ID)
 * are left out of the waterfall.
 */
export function traceFromBackend(requestId, spans) {
    const phases = new Set(['upstream connect', 'upstream header', 'upstream response']);
    const out = [];
    for (const s of spans) {
        const svc = SERVICES[String(s.resource['service.name'])];
        if (phases.has(s.name) || !svc)
            continue;
        const record = recordOf(s.attrs, s.end, svc.hop);
        record.uri = str(s.attrs['url.path']);
        out.push({
            spanId: s.spanId,
            parentSpanId: s.parentSpanId,
            kind: s.kind,
            service: svc.service,
            name: s.name,
            start: s.start,
            end: s.end,
            status: num(s.attrs['http.response.status_code']),
            error: s.error,
            region: str(s.resource['cloud.region']),
            record,
            join: {
                tier: tierOf(Number(s.attrs['claw.join.tier']), 1),
                how: String(s.attrs['claw.join.how'] ?? 'exported'),
                confidence: Number(s.attrs['claw.join.confidence'] ?? 1),
            },
            events: s.events.map((e) => ({
                time: e.time,
                name: e.name,
                record: recordOf(e.attrs, e.time, svc.event),
                join: { tier: tierOf(Number(e.attrs['claw.join.tier']), 2), how: 'exported', confidence: 1 },
            })),
            attrs: s.attrs,
        });
    }
    const root = out.find((s) => !out.some((p) => p.spanId === s.parentSpanId));
    const causeId = str(root?.attrs['claw.diagnosis.cause']);
    const cause = CAUSES.find((c) => c.id === causeId);
    const failed = out.some((s) => s.error);
    const evidence = out.flatMap((s) => s.events.map((e) => e.record));
    const basis = root?.attrs['claw.diagnosis.basis'];
    const diagnosis = {
        failed,
        status: root?.status,
        missing: failed && !causeId ? ['the exported spans carry no diagnosis'] : [],
        causes: causeId && causeId !== 'unknown'
            ? [
                {
                    id: causeId,
                    title: cause?.title ?? causeId,
                    confidence: Number(root?.attrs['claw.diagnosis.confidence'] ?? 0),
                    basis: basis === 'inferred' || basis === 'shape' ? basis : 'direct',
                    detail: 'as the agent diagnosed it when it exported the trace',
                    evidence,
                    fix: cause?.fix ?? '',
                },
            ]
            : [],
    };
    return { trace: { traceId: traceIdFor(requestId), requestId, spans: out, skews: [], context: [] }, diagnosis };
}
//# sourceMappingURL=backendTrace.js.map