/**
 * Lookups across regions: `claw-trace <id> --agent URL --agent URL` asks each regional agent's API
 * in parallel (with a timeout), merges the hops into one trace ordered by skew-corrected time,
 * and says which agents did not answer. The token comes from $CLAW_TRACE_TOKEN.
 */
import type { ClockSkew, Span, Trace } from '../correlate/trace.js';
import { SKEW_CAP_MS } from '../correlate/assemble.js';
import type { Diagnosis } from '../diagnose/diagnose.js';
import type { IndexedRecord } from '../store/rehydrate.js';

/** The JSON of `claw-trace <id> --json` and of the agent's /v1/requests/:id. */
export interface TraceJson {
  requestId: string;
  traceId: string;
  spans: (Omit<Span, 'record' | 'events' | 'attrs'> & { attributes: Span['attrs']; line?: LineJson; events: { time: number; name: string; join: Span['join']; line?: LineJson }[] })[];
  context: { what: string; join: Span['join']; line?: LineJson }[];
  clockSkews: ClockSkew[];
  diagnosis: { failed: boolean; status?: number; missing: string[]; causes: { id: string; title: string; confidence: number; detail: string; fix: string; evidence: (LineJson | undefined)[] }[] };
}
interface LineJson { file?: string; lineNo?: number; offset?: number; source: string; time: number; region?: string; message?: string; text: string }

export interface AgentAnswer { agent: string; trace?: TraceJson; error?: string }

export async function askAgents(agents: string[], id: string, timeoutMs: number, token = process.env.CLAW_TRACE_TOKEN): Promise<AgentAnswer[]> {
  return Promise.all(agents.map(async (agent): Promise<AgentAnswer> => {
    try {
      const res = await fetch(`${agent.replace(/\/+$/, '')}/v1/requests/${encodeURIComponent(id)}`, {
        signal: AbortSignal.timeout(timeoutMs), headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      if (res.status === 404) return { agent };
      if (!res.ok) return { agent, error: `HTTP ${res.status}` };
      return { agent, trace: (await res.json()) as TraceJson };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      return { agent, error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message };
    }
  }));
}

const record = (l: LineJson | undefined): IndexedRecord => ({ ...(l ?? { source: '?', time: 0, text: '' }), raw: l?.text ?? '' }) as unknown as IndexedRecord;

/** One trace from several agents' answers: hops of later regions shifted into the outer hop's attempt when the clocks disagree. */
export function mergeTraces(traces: TraceJson[]): { trace: Trace; diagnosis: Diagnosis } {
  const spans = new Map<string, Span>();
  const skews: ClockSkew[] = [];
  // The outermost answer first: the one whose longest SERVER span is longest.
  const outerFirst = [...traces].sort((a, b) => longest(b) - longest(a));
  for (const [i, t] of outerFirst.entries()) {
    let shift = 0;
    if (i > 0) {
      const inner = t.spans.filter((s) => s.kind === 'SERVER').sort((a, b) => (b.end - b.start) - (a.end - a.start))[0];
      const attempt = [...spans.values()].filter((s) => s.kind === 'CLIENT').sort((a, b) => (b.end - b.start) - (a.end - a.start))[0];
      if (inner && attempt && (inner.start < attempt.start || inner.end > attempt.end)) {
        const ms = (attempt.start + attempt.end) / 2 - (inner.start + inner.end) / 2;
        const corrected = Math.abs(ms) <= SKEW_CAP_MS;
        if (corrected) shift = ms;
        skews.push({ region: inner.region ?? '?', relativeTo: attempt.region ?? '?', ms: -ms, corrected });
      }
    }
    for (const s of t.spans) {
      if (spans.has(s.spanId)) continue;
      spans.set(s.spanId, {
        ...s, start: s.start + shift, end: s.end + shift, attrs: s.attributes, record: s.line ? record(s.line) : undefined,
        events: s.events.map((e) => ({ time: e.time + shift, name: e.name, join: e.join, record: record(e.line) })),
      } as Span);
    }
    skews.push(...t.clockSkews);
  }
  // The diagnosis: the failed one with the most confident cause (the region where it failed).
  const best = [...traces].sort((a, b) => score(b) - score(a))[0]!;
  const d = best.diagnosis;
  return {
    trace: {
      traceId: best.traceId, requestId: best.requestId, spans: [...spans.values()], skews,
      context: traces.flatMap((t) => t.context.map((c) => ({ what: c.what, join: c.join, record: record(c.line) }))),
    } as Trace,
    diagnosis: { ...d, causes: d.causes.map((c) => ({ ...c, evidence: c.evidence.map(record) })) } as unknown as Diagnosis,
  };
}

const longest = (t: TraceJson) => Math.max(0, ...t.spans.filter((s) => s.kind === 'SERVER').map((s) => s.end - s.start));
const score = (t: TraceJson) => (t.diagnosis.failed ? 1 : 0) + (t.diagnosis.causes[0]?.confidence ?? 0) / 2;
