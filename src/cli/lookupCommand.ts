/**
 * `claw-trace <request-id>`: one request across proxies, gateway and regions, as a waterfall
 * with timings, then the cause with the lines that prove it and the fix. `--json` for scripts.
 * Exit codes: 0 found, 1 not found, 2 usage or configuration error.
 */
import pc from 'picocolors';
import type { RecordIndex } from '../store/recordIndex.js';
import type { IndexedRecord } from '../store/rehydrate.js';
import { assembleTrace, resolveRequestId } from '../correlate/assemble.js';
import type { Span, Trace } from '../correlate/trace.js';
import { diagnose, type Diagnosis } from '../diagnose/diagnose.js';
import { terminalSafe, terminalSafeJson } from './terminalText.js';

type Paint = (s: string) => string;
interface Colors { bold: Paint; dim: Paint; red: Paint; green: Paint; yellow: Paint; cyan: Paint }
const plain: Colors = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s };

const lineRef = (r: IndexedRecord) => `${r.file ?? '?'}:${r.lineNo ?? '?'}`;
const msText = (n: number | undefined) => (n === undefined ? '–' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

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

function depthOf(s: Span, spans: Span[]): number {
  let d = 0;
  for (let p = s.parentSpanId; p !== undefined; p = spans.find((x) => x.spanId === p)?.parentSpanId) d++;
  return d;
}

/** Spans in tree order (parents before children, siblings by start). */
function ordered(spans: Span[]): Span[] {
  const out: Span[] = [];
  const visit = (parent: string | undefined) => {
    for (const s of spans.filter((x) => x.parentSpanId === parent || (parent === undefined && !spans.some((y) => y.spanId === x.parentSpanId))).sort((a, b) => a.start - b.start)) {
      if (out.includes(s)) continue;
      out.push(s);
      visit(s.spanId);
    }
  };
  visit(undefined);
  return out;
}

export function renderTrace(trace: Trace, d: Diagnosis, c: Colors = plain, width = 28): string {
  c ??= plain;
  const spans = ordered(trace.spans);
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.end));
  const total = Math.max(t1 - t0, 1);
  const top = spans[0];
  const out: string[] = [];
  const status = d.status === undefined ? '' : d.failed ? c.red(String(d.status)) : c.green(String(d.status));
  out.push(`${c.bold(terminalSafe(top?.name ?? '', 80))} ${status}   request ${c.cyan(terminalSafe(trace.requestId, 80))}   trace ${trace.traceId}`);
  out.push(c.dim(`${new Date(t0).toISOString().replace('T', ' ').replace('Z', ' UTC')} · ${spans.filter((s) => s.kind === 'SERVER' && s.service !== 'openclaw-gateway').length} proxy hop(s) · ${msText(t1 - t0)}`));
  out.push('');
  const rows = spans.map((s) => {
    const indent = '  '.repeat(depthOf(s, trace.spans));
    const who = s.kind === 'CLIENT' ? '' : `${s.service}${s.region ? ` (${s.region})` : ''}  `;
    const label = `${indent}${who}${terminalSafe(s.name, 60)}`;
    const inferred = s.join.tier >= 3 ? c.yellow(` inferred ${s.join.confidence.toFixed(2)}: ${s.join.how}`) : '';
    const from = Math.floor(((s.start - t0) / total) * width);
    const len = Math.max(1, Math.round(((s.end - s.start) / total) * width));
    const bar = ' '.repeat(Math.min(from, width - 1)) + (s.error ? c.red : c.green)('█'.repeat(Math.min(len, width - Math.min(from, width - 1))));
    const phases = s.phases ? c.dim(`  connect ${msText(s.phases.connectMs)} · header ${msText(s.phases.headerMs)} · response ${msText(s.phases.responseMs)}`) : '';
    return { s, label, cells: [`+${msText(s.start - t0)}`, msText(s.end - s.start), s.status === undefined ? '' : String(s.status)], bar, tail: phases + inferred };
  });
  const w = Math.min(60, Math.max(...rows.map((r) => r.label.length)));
  out.push(c.dim(`${'span'.padEnd(w)}  ${'start'.padStart(9)} ${'took'.padStart(8)} ${'status'.padStart(6)}  `));
  for (const r of rows) {
    out.push(`${r.label.padEnd(w)}  ${r.cells[0]!.padStart(9)} ${r.cells[1]!.padStart(8)} ${r.cells[2]!.padStart(6)}  ${r.bar.padEnd(width)}${r.tail}`);
    for (const e of r.s.events) {
      const pad = '  '.repeat(depthOf(r.s, trace.spans) + 1);
      const how = e.join.tier >= 3 ? c.yellow(`inferred ${e.join.confidence.toFixed(2)}: ${e.join.how}`) : c.dim(`tier ${e.join.tier}: ${e.join.how}`);
      out.push(`${pad}${e.record.errorKind ? c.red('✗') : c.dim('·')} ${c.bold(terminalSafe(e.name, 60))}  ${terminalSafe(e.record.message ?? '', 110)}`);
      out.push(`${pad}  ${c.dim(terminalSafe(lineRef(e.record), 120))}  ${how}`);
    }
  }
  for (const k of trace.skews) {
    out.push(c.yellow(`clock: ${terminalSafe(k.region, 40)} runs ${k.ms >= 0 ? 'ahead of' : 'behind'} ${terminalSafe(k.relativeTo, 40)} by ${msText(Math.abs(k.ms))}${k.corrected ? ' (corrected above)' : ` (over the ${msText(5000)} cap: not corrected)`}`));
  }
  if (trace.context.length) {
    out.push('');
    out.push(c.bold('around it'));
    for (const x of trace.context) out.push(`  ${c.dim(`${x.record.time - t0 >= 0 ? '+' : ''}${msText(x.record.time - t0)}`)}  ${x.what}: ${terminalSafe(x.record.message ?? '', 100)}  ${c.dim(terminalSafe(lineRef(x.record), 120))}`);
  }
  out.push('');
  if (!d.failed) {
    out.push(c.green('no failure: nothing to diagnose'));
  } else if (d.causes.length === 0) {
    out.push(`${c.bold('cause')}  ${c.yellow('unknown')}`);
    for (const m of d.missing) out.push(`  missing: ${m}`);
  } else {
    for (const cause of d.causes) {
      const basis = cause.basis === 'direct' ? 'joined lines' : cause.basis === 'inferred' ? 'an inferred join' : 'its shape and what was around it';
      out.push(`${c.bold('cause')}  ${c.red(cause.id)} ${c.dim(`(confidence ${cause.confidence.toFixed(2)}${cause.measured ? `, right ${cause.measured.right} of ${cause.measured.claimed} on the corpus` : ', not measured'}; decided by ${basis})`)}`);
      out.push(`  ${cause.title}`);
      out.push(`  ${terminalSafe(cause.detail, 200)}`);
      out.push(`  ${c.bold('evidence')}`);
      for (const e of cause.evidence) out.push(`    ${c.dim(terminalSafe(lineRef(e), 120))}  ${terminalSafe(e.raw, 160)}`);
      out.push(`  ${c.bold('fix')}`);
      for (const l of cause.fix.split('\n')) out.push(`    ${l}`);
      out.push('');
    }
  }
  return out.join('\n').trimEnd() + '\n';
}

export interface LookupOptions {
  json?: boolean;
  color?: boolean;
}
const colorsOf = (o: LookupOptions): Colors => (o.color ? pc : plain);

export function runLookup(index: RecordIndex, idOrPrefix: string, opts: LookupOptions, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): number {
  if (idOrPrefix.length === 0) {
    stderr.write('claw-trace: the request ID is empty\n');
    return 2;
  }
  const resolved = resolveRequestId(index, idOrPrefix);
  if (resolved.ambiguous) {
    stderr.write(`claw-trace: ${resolved.ambiguous.length}${resolved.ambiguous.length === 10 ? '+' : ''} request IDs start with ${terminalSafe(idOrPrefix, 80)}: ${resolved.ambiguous.map((i) => terminalSafe(i, 60)).join(', ')}; give more of it\n`);
    return 2;
  }
  const trace = resolved.requestId === undefined ? undefined : assembleTrace(index, resolved.requestId);
  if (!trace) {
    stderr.write(`claw-trace: no request ${terminalSafe(idOrPrefix, 80)} in the index${opts.json ? '' : ' (is its access log indexed? claw-trace ingest / follow)'}\n`);
    return 1;
  }
  const d = diagnose(trace, index);
  stdout.write(opts.json ? terminalSafeJson(traceJson(trace, d)) + '\n' : renderTrace(trace, d, colorsOf(opts)));
  return 0;
}

/** `claw-trace <id> --agent URL...`: the regional agents' answers merged into one waterfall. */
export async function runRemoteLookup(id: string, agents: string[], timeoutMs: number, opts: LookupOptions, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  const { askAgents, mergeTraces } = await import('./remoteLookup.js');
  const answers = await askAgents(agents, id, timeoutMs);
  for (const a of answers.filter((x) => x.error)) stderr.write(`claw-trace: agent ${terminalSafe(a.agent, 120)} did not answer: ${terminalSafe(a.error!, 200)}\n`);
  const found = answers.filter((a) => a.trace).map((a) => a.trace!);
  if (found.length === 0) {
    stderr.write(`claw-trace: no agent that answered knows request ${terminalSafe(id, 80)}\n`);
    return 1;
  }
  const { trace, diagnosis } = mergeTraces(found);
  stdout.write(opts.json
    ? terminalSafeJson({ ...(traceJson(trace, diagnosis) as object), agents: answers.map((a) => ({ agent: a.agent, found: Boolean(a.trace), error: a.error })) }) + '\n'
    : renderTrace(trace, diagnosis, colorsOf(opts)) + `${colorsOf(opts).dim(`answered: ${answers.filter((a) => !a.error).map((a) => a.agent).join(', ') || 'none'}`)}\n`);
  return 0;
}

/** `claw-trace <id> --otlp-backend URL`: the trace as exported, from Jaeger's or Tempo's query API. */
export async function runBackendLookup(id: string, url: string, timeoutMs: number, opts: LookupOptions, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  const { fetchFromBackend } = await import('./backendLookup.js');
  let found;
  try {
    found = await fetchFromBackend(url, id, timeoutMs);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    stderr.write(`claw-trace: ${terminalSafe(url, 120)} did not answer: ${terminalSafe(err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message, 200)}\n`);
    return 1;
  }
  if (!found) {
    stderr.write(`claw-trace: ${terminalSafe(url, 120)} has no trace for request ${terminalSafe(id, 80)}\n`);
    return 1;
  }
  stdout.write(opts.json ? terminalSafeJson(traceJson(found.trace, found.diagnosis)) + '\n' : renderTrace(found.trace, found.diagnosis, colorsOf(opts)));
  return 0;
}
