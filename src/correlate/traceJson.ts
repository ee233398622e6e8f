/**
 * The trace JSON: what `claw-trace <id> --json` prints and what the agent's /v1/requests/:id
 * answers (so one region's agent can merge another's answer into its waterfall).
 */
import type { IndexedRecord } from '../store/rehydrate.js';
import type { ClockSkew, Span, Trace } from './trace.js';
import type { Diagnosis } from '../diagnose/diagnose.js';

/** The JSON of `claw-trace <id> --json` and of the agent's /v1/requests/:id. */
export interface TraceJson {
  requestId: string;
  traceId: string;
  spans: (Omit<Span, 'record' | 'events' | 'attrs'> & { attributes: Span['attrs']; line?: LineJson; events: { time: number; name: string; join: Span['join']; line?: LineJson }[] })[];
  context: { what: string; join: Span['join']; line?: LineJson }[];
  clockSkews: ClockSkew[];
  diagnosis: { failed: boolean; status?: number; missing: string[]; causes: { id: string; title: string; confidence: number; detail: string; fix: string; evidence: (LineJson | undefined)[] }[] };
}
export interface LineJson { file?: string; lineNo?: number; offset?: number; source: string; time: number; region?: string; message?: string; text: string }

export function traceJson(trace: Trace, d: Diagnosis): unknown {
  const line = (r: IndexedRecord | undefined) => r && { file: r.file, lineNo: r.lineNo, offset: r.offset, source: r.source, time: r.time, region: r.region, message: r.message, text: r.raw };
  return {
    requestId: trace.requestId,
    traceId: trace.traceId,
    spans: trace.spans.map((s) => ({
      spanId: s.spanId, parentSpanId: s.parentSpanId, kind: s.kind, service: s.service, name: s.name,
      start: s.start, end: s.end, durationMs: s.end - s.start, status: s.status, error: s.error, region: s.region,
      join: s.join, phases: s.phases, attributes: s.attrs, line: line(s.record),
      events: s.events.map((e) => ({ time: e.time, name: e.name, join: e.join, line: line(e.record) })),
    })),
    context: trace.context.map((c) => ({ what: c.what, join: c.join, line: line(c.record) })),
    clockSkews: trace.skews,
    diagnosis: {
      failed: d.failed, status: d.status, missing: d.missing,
      causes: d.causes.map((c) => ({ id: c.id, title: c.title, confidence: c.confidence, basis: c.basis, ...(c.measured ? { measured: c.measured } : {}), detail: c.detail, fix: c.fix, evidence: c.evidence.map(line) })),
    },
  };
}
