/**
 * `claw-trace <id> --otlp-backend URL`: for fleets that export everything, the trace from the
 * tracing backend instead of the agents. The trace ID is the request ID's (deterministic, see
 * correlate/trace.ts), so no index is needed: `GET <URL>/api/traces/<trace id>` on Jaeger's query
 * API or Tempo's, whose answers (Jaeger's JSON, OTLP JSON as Tempo writes it) become the same
 * waterfall, with the diagnosis the agent exported (`claw.diagnosis.cause`) and the error lines
 * the spans carry as events.
 */
import type { Span, SpanKind, Trace } from '../correlate/trace.js';
import { traceIdFor } from '../correlate/trace.js';
import { CAUSES } from '../diagnose/catalog.js';
import type { Diagnosis } from '../diagnose/diagnose.js';
import type { IndexedRecord } from '../store/rehydrate.js';

type Attrs = Record<string, string | number | boolean>;
interface PlainSpan { spanId: string; parentSpanId?: string; name: string; kind: SpanKind; start: number; end: number; error: boolean; attrs: Attrs; resource: Attrs; events: { name: string; time: number; attrs: Attrs }[] }

const KINDS: Record<string, SpanKind> = { server: 'SERVER', client: 'CLIENT', SPAN_KIND_SERVER: 'SERVER', SPAN_KIND_CLIENT: 'CLIENT', 2: 'SERVER', 3: 'CLIENT' };
/** OTLP JSON's bytes: hex (the OTLP/JSON spec) or base64 (protobuf's JSON mapping, as Tempo answers). */
const hexId = (v: unknown): string | undefined => {
  if (typeof v !== 'string' || v === '') return undefined;
  return /^[0-9a-f]+$/i.test(v) && (v.length === 16 || v.length === 32) ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
};
type KV = { key: string; value?: Record<string, unknown> } | { key: string; type?: string; value?: unknown };
function attrsOf(kvs: KV[] | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of kvs ?? []) {
    const v = kv.value as Record<string, unknown> | string | number | boolean | undefined;
    if (v !== null && typeof v === 'object') {
      const x = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
      if (x !== undefined) out[kv.key] = typeof x === 'string' && 'intValue' in v ? Number(x) : x as string | number | boolean;
    } else if (v !== undefined) out[kv.key] = v;
  }
  return out;
}

/** Jaeger's `{data: [{spans, processes}]}` or OTLP JSON (`batches` / `resourceSpans` / `trace.resourceSpans`). */
export function spansFromBackend(body: unknown): PlainSpan[] {
  const b = body as Record<string, unknown>;
  const jaeger = (b.data as { spans: Record<string, unknown>[]; processes: Record<string, { serviceName: string; tags: KV[] }> }[] | undefined)?.[0];
  if (jaeger?.spans) {
    return jaeger.spans.map((s) => {
      const tags = attrsOf(s.tags as KV[]);
      const proc = jaeger.processes[s.processID as string];
      const parent = (s.references as { refType: string; spanID: string }[] | undefined)?.find((r) => r.refType === 'CHILD_OF')?.spanID;
      const start = Number(s.startTime) / 1000;
      return {
        spanId: String(s.spanID), parentSpanId: parent, name: String(s.operationName), kind: KINDS[String(tags['span.kind'])] ?? 'INTERNAL',
        start, end: start + Number(s.duration) / 1000, error: tags.error === true || tags['otel.status_code'] === 'ERROR', attrs: tags,
        resource: { 'service.name': proc?.serviceName ?? '?', ...attrsOf(proc?.tags) },
        events: ((s.logs as { timestamp: number; fields: KV[] }[] | undefined) ?? []).map((l) => { const a = attrsOf(l.fields); return { name: String(a.event ?? 'log'), time: l.timestamp / 1000, attrs: a }; }),
      };
    });
  }
  const rs = (b.batches ?? b.resourceSpans ?? (b.trace as Record<string, unknown> | undefined)?.resourceSpans) as { resource?: { attributes?: KV[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[]; instrumentationLibrarySpans?: { spans?: Record<string, unknown>[] }[] }[] | undefined;
  if (!Array.isArray(rs)) throw new Error('the backend answered neither Jaeger JSON nor OTLP JSON');
  return rs.flatMap((r) => {
    const resource = attrsOf(r.resource?.attributes);
    return (r.scopeSpans ?? r.instrumentationLibrarySpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s): PlainSpan => ({
      spanId: hexId(s.spanId)!, parentSpanId: hexId(s.parentSpanId), name: String(s.name), kind: KINDS[String(s.kind)] ?? 'INTERNAL',
      start: Number(BigInt(String(s.startTimeUnixNano)) / 1000n) / 1000, end: Number(BigInt(String(s.endTimeUnixNano)) / 1000n) / 1000,
      error: (s.status as { code?: unknown } | undefined)?.code === 2 || (s.status as { code?: unknown } | undefined)?.code === 'STATUS_CODE_ERROR',
      attrs: attrsOf(s.attributes as KV[]), resource,
      events: ((s.events as { name: string; timeUnixNano: string; attributes: KV[] }[] | undefined) ?? []).map((e) => ({ name: e.name, time: Number(BigInt(String(e.timeUnixNano)) / 1000n) / 1000, attrs: attrsOf(e.attributes) })),
    })));
  });
}

const recordOf = (a: Attrs, time: number, source: string): IndexedRecord => ({
  raw: String(a['log.record.original'] ?? ''), message: String(a['log.record.original'] ?? ''), file: a['claw.log.file'] as string | undefined,
  lineNo: a['claw.log.line'] as number | undefined, time, source,
}) as unknown as IndexedRecord;

/** The backend's spans as a trace and the exported diagnosis (phase spans fold back into their attempt). */
export function traceFromBackend(requestId: string, spans: PlainSpan[]): { trace: Trace; diagnosis: Diagnosis } {
  const phases = new Set(['upstream connect', 'upstream header', 'upstream response']);
  const kept = spans.filter((s) => !phases.has(s.name));
  const out: Span[] = kept.map((s) => ({
    spanId: s.spanId, parentSpanId: s.parentSpanId, kind: s.kind, service: String(s.resource['service.name']) as Span['service'], name: s.name,
    start: s.start, end: s.end, status: s.attrs['http.response.status_code'] as number | undefined, error: s.error,
    region: s.resource['cloud.region'] as string | undefined,
    record: { ...recordOf(s.attrs, s.end, String(s.resource['service.name'])), uri: s.attrs['url.path'] } as unknown as IndexedRecord,
    join: { tier: (Number(s.attrs['claw.join.tier']) || 1) as 1, how: String(s.attrs['claw.join.how'] ?? 'exported'), confidence: Number(s.attrs['claw.join.confidence'] ?? 1) },
    events: s.events.map((e) => ({ time: e.time, name: e.name, record: recordOf(e.attrs, e.time, 'event'), join: { tier: (Number(e.attrs['claw.join.tier']) || 2) as 1, how: 'exported', confidence: 1 } })),
    attrs: s.attrs,
  }));
  const root = out.find((s) => !out.some((p) => p.spanId === s.parentSpanId));
  const causeId = root?.attrs['claw.diagnosis.cause'] as string | undefined;
  const cause = CAUSES.find((c) => c.id === causeId);
  const failed = out.some((s) => s.error);
  const evidence = out.flatMap((s) => s.events.map((e) => e.record));
  const diagnosis: Diagnosis = {
    failed, status: root?.status, missing: failed && !causeId ? ['the exported spans carry no diagnosis'] : [],
    causes: causeId && causeId !== 'unknown' ? [{
      id: causeId, title: cause?.title ?? causeId, confidence: Number(root?.attrs['claw.diagnosis.confidence'] ?? 0),
      basis: root?.attrs['claw.diagnosis.basis'] === 'inferred' || root?.attrs['claw.diagnosis.basis'] === 'shape' ? root.attrs['claw.diagnosis.basis'] : 'direct',
      detail: 'as the agent diagnosed it when it exported the trace', evidence, fix: cause?.fix ?? '',
    }] : [],
  };
  return { trace: { traceId: traceIdFor(requestId), requestId, spans: out, skews: [], context: [] }, diagnosis };
}

export async function fetchFromBackend(url: string, requestId: string, timeoutMs: number): Promise<{ trace: Trace; diagnosis: Diagnosis } | undefined> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/api/traces/${traceIdFor(requestId)}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const spans = spansFromBackend(await res.json());
  return spans.length ? traceFromBackend(requestId, spans) : undefined;
}
