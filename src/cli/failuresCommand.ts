/**
 * `claw-trace 5xx --since 1h`: the failures in a window, grouped by cause, region, path and
 * upstream, with counts and one example request ID per group (to look up next).
 */
import { failureCandidates } from '../store/queries.js';
import pc from 'picocolors';
import type { RecordIndex } from '../store/recordIndex.js';
import { assembleTrace } from '../correlate/assemble.js';
import type { Span, Trace } from '../correlate/trace.js';
import { cutMiddle, padColumns, wrapText } from './terminalWidth.js';
import { diagnose } from '../diagnose/diagnose.js';
import { terminalSafe, terminalSafeJson } from './terminalText.js';
import { findPatterns, trafficOf, type FailureFact, type Pattern } from '../diagnose/patterns.js';

export interface FailuresOptions {
  from: number;
  to: number;
  region?: string;
  /** At most this many requests are joined and diagnosed (newest first). */
  limit?: number;
  json?: boolean;
  color?: boolean;
  /** Columns to fit the table to (default: unbounded). */
  width?: number;
}

export interface FailureGroup {
  cause: string;
  region: string;
  path: string;
  upstream: string;
  count: number;
  example: string;
}

export interface FailuresReport {
  from: number;
  to: number;
  candidates: number;
  diagnosed: number;
  withoutRequestId: number;
  /** By cause, most first: the total of each, and an example. */
  causes: { cause: string; count: number; example: string }[];
  /** By cause, region, path and upstream: the breakdown of each cause. */
  groups: FailureGroup[];
  /** What the failures have in common (cause '*': all of them). */
  patterns: (Pattern & { cause: string })[];
  /** Spans of the diagnosed failures by join tier (1 request ID, 2 structure, 3 inference, 4 context). */
  joinTiers: Record<string, number>;
}

/**
 * Access lines that may be failures: errors, client aborts, every 101/status 0 (cut WebSockets),
 * every request that asked for an upgrade (one not forwarded can be answered 200),
 * and nginx lines whose connection has an error line in the window (a 200 whose body was cut).
 */
function candidates(index: RecordIndex, o: FailuresOptions): { requestId: string | null; raw: string }[] {
  return failureCandidates(index, o);
}

/**
 * The upstream a failed request went to: its access line's first attempt (nginx), else the first
 * error or debug line joined to it that names one (Caddy's access lines name none; its
 * reverse_proxy lines do).
 */
function upstreamOf(trace: Trace, hop: Span | undefined): string {
  const own = hop?.record?.upstreams?.[0]?.addr;
  if (own) return own;
  for (const s of trace.spans) {
    for (const e of s.events) {
      const addr = e.record.upstreams?.[0]?.addr ?? e.record.upstreamUrl;
      if (addr) return addr;
    }
  }
  return '-';
}

export function failureReport(index: RecordIndex, o: FailuresOptions): FailuresReport {
  const rows = candidates(index, o);
  const limit = o.limit ?? 2000;
  const report: FailuresReport = { from: o.from, to: o.to, candidates: rows.length, diagnosed: 0, withoutRequestId: 0, causes: [], groups: [], patterns: [], joinTiers: {} };
  const facts: FailureFact[] = [];
  const groups = new Map<string, FailureGroup>();
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.requestId === null) { report.withoutRequestId++; continue; }
    if (seen.has(row.requestId) || seen.size >= limit) continue;
    seen.add(row.requestId);
    const trace = assembleTrace(index, row.requestId);
    if (!trace) continue;
    const d = diagnose(trace, index);
    if (!d.failed) continue;
    report.diagnosed++;
    for (const s of trace.spans) report.joinTiers[s.join.tier] = (report.joinTiers[s.join.tier] ?? 0) + 1;
    if (trace.context.length) report.joinTiers[4] = (report.joinTiers[4] ?? 0) + trace.context.length;
    const hop = trace.spans.find((s) => s.kind === 'SERVER' && s.service !== 'openclaw-gateway');
    const g: FailureGroup = {
      cause: d.causes[0]?.id ?? 'unknown',
      region: hop?.region ?? '-',
      path: (hop?.record?.uri ?? '-').split('?')[0]!,
      upstream: upstreamOf(trace, hop),
      count: 0,
      example: row.requestId,
    };
    facts.push({ cause: g.cause, region: g.region, time: hop?.end ?? 0, websocket: hop?.record?.upgrade?.toLowerCase() === 'websocket' || hop?.status === 101, viaFront: Boolean(hop?.record?.forwardedFor) });
    const key = [g.cause, g.region, g.path, g.upstream].join('\u0000');
    const have = groups.get(key) ?? g;
    have.count++;
    groups.set(key, have);
  }
  const causes = new Map<string, { cause: string; count: number; example: string }>();
  for (const g of groups.values()) {
    const have = causes.get(g.cause) ?? { cause: g.cause, count: 0, example: g.example };
    have.count += g.count;
    causes.set(g.cause, have);
  }
  report.causes = [...causes.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
  const rank = new Map(report.causes.map((x, i) => [x.cause, i]));
  report.groups = [...groups.values()].sort((a, b) => rank.get(a.cause)! - rank.get(b.cause)! || b.count - a.count || a.region.localeCompare(b.region) || a.path.localeCompare(b.path));
  report.patterns = findPatterns(facts, trafficOf(index, o.from, o.to));
  return report;
}

export function runFailures(index: RecordIndex, o: FailuresOptions, stdout: NodeJS.WritableStream): number {
  printFailures(failureReport(index, o), o, stdout);
  return 0;
}

/** The report as a table (or JSON with `json`), with the fleet patterns under it. */
export function printFailures(r: FailuresReport, o: Pick<FailuresOptions, 'json' | 'color' | 'width'>, stdout: NodeJS.WritableStream): void {
  if (o.json) {
    stdout.write(terminalSafeJson(r) + '\n');
    return;
  }
  const c = o.color ? pc : { bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s };
  const cols = o.width ?? Number.POSITIVE_INFINITY;
  const span = r.from <= 0 ? 'all the index' : `${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}`;
  stdout.write(`${c.bold(`${r.diagnosed} failed requests`)} ${c.dim(`(${span})`)}\n`);
  if (r.causes.length) {
    // One row per cause with its total and an example ID, then its breakdown, indented: region,
    // path, upstream (and each one's example where the terminal has room). On a narrow terminal
    // the path and then the upstream are cut in their middle; an ID, to copy into
    // `claw-trace <id>`, never.
    const count = Math.max(5, ...r.causes.map((x) => String(x.count).length));
    const rows = r.groups.map((g) => ({ g, cells: [terminalSafe(g.region, 20), terminalSafe(g.path, 200), terminalSafe(g.upstream, 200), terminalSafe(g.example, 80)] }));
    const w = [6, 4, 8, 18].map((min, i) => Math.max(min, ...rows.map((x) => x.cells[i]!.length)));
    const width = (n: number) => count + 4 + w.slice(0, n).reduce((a, b) => a + b, 0) + 2 * (n - 1);
    const shown = width(4) <= cols ? 4 : 3; // the breakdown's examples go first
    for (const i of [1, 2]) if (width(shown) > cols) w[i] = Math.max(16, w[i]! - (width(shown) - cols));
    const line = (cells: string[]) => cells.slice(0, shown).map((v, i) => (i === shown - 1 ? cutMiddle(v, w[i]!) : padColumns(cutMiddle(v, w[i]!), w[i]!))).join('  ');
    stdout.write(c.dim(`${'count'.padStart(count)}  cause, example request ID`) + '\n');
    stdout.write(c.dim(`${''.padStart(count)}    ${line(['region', 'path', 'upstream', 'example request ID'])}`.trimEnd()) + '\n');
    for (const x of r.causes) {
      stdout.write(`${c.bold(String(x.count).padStart(count))}  ${c.red(x.cause)}  ${c.dim(terminalSafe(x.example, 80))}\n`);
      for (const row of rows.filter((y) => y.g.cause === x.cause)) stdout.write(`${String(row.g.count).padStart(count)}    ${line(row.cells)}`.trimEnd() + '\n');
    }
  }
  for (const p of r.patterns) {
    stdout.write(`${wrapText(`${c.bold('pattern')} ${p.id}${p.cause === '*' ? '' : ` (${p.cause})`}: ${terminalSafe(p.summary, 300)}`, cols, '  ')}\n  ${c.dim(wrapText(`points to ${p.pointsTo}`, cols - 2, '  '))}\n`);
  }
  if (r.withoutRequestId) stdout.write(c.dim(wrapText(`${r.withoutRequestId} failing lines carry no request ID (log $request_id, see the README) and are not joined`, cols)) + '\n');
}
