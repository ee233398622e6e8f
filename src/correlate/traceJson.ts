/**
 * The trace JSON: what `claw-trace <id> --json` prints and what the agent's /v1/requests/:id
 * answers, so one region's lookup can merge another region's answer into its waterfall. Its
 * schema and types are in traceSchema.ts (one contract: the API's response schema, the validator
 * of other agents' answers and these functions' types).
 */
import { LogRecord } from '../../parsers/record.js';
import type { Diagnosis } from '../diagnose/diagnose.js';
import type { IndexedRecord } from '../store/rehydrate.js';
import type { Trace } from './trace.js';
import type { LineJson, TraceJson } from './traceSchema.js';

export type { LineJson, TraceJson } from './traceSchema.js';

export function lineJson(r: IndexedRecord): LineJson {
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
export function lineRecord(l: LineJson): IndexedRecord {
  const r = new LogRecord(l.source, l.time);
  r.file = l.file;
  r.lineNo = l.lineNo;
  r.offset = l.offset;
  r.message = l.message;
  return Object.assign(r, { rowId: 0, region: l.region, raw: l.text });
}

export function traceJson(trace: Trace, d: Diagnosis): TraceJson {
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
