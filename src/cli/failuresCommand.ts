/**
 * `claw-trace 5xx --since 1h`: the failures in a window, grouped by cause, region, path and
 * upstream, with counts and one example request ID per group (to look up next).
 */
import pc from 'picocolors';
import type { RecordIndex } from '../store/recordIndex.js';
import { assembleTrace } from '../correlate/assemble.js';
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
  const where = [`source IN ('nginx-access', 'caddy-access')`, 'time >= ?', 'time < ?', `(status >= 400 OR status IN (0, 101) OR status IS NULL OR upgrade = 1
    OR (source = 'nginx-access' AND conn IN (SELECT conn FROM records WHERE source = 'nginx-error' AND error_kind IS NOT NULL AND time >= ? AND time < ?)))`];
  const args: (string | number)[] = [o.from, o.to, o.from - 2000, o.to + 2000];
  if (o.region !== undefined) { where.push('(id >> 40) IN (SELECT id FROM files WHERE region = ?)'); args.push(o.region); }
  return index.db.prepare(`SELECT request_id AS requestId, raw FROM records WHERE ${where.join(' AND ')} ORDER BY time DESC`).all(...args) as { requestId: string | null; raw: string }[];
}

export function failureReport(index: RecordIndex, o: FailuresOptions): FailuresReport {
  const rows = candidates(index, o);
  const limit = o.limit ?? 2000;
  const report: FailuresReport = { from: o.from, to: o.to, candidates: rows.length, diagnosed: 0, withoutRequestId: 0, groups: [], patterns: [], joinTiers: {} };
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
      upstream: hop?.record?.upstreams?.[0]?.addr ?? '-',
      count: 0,
      example: row.requestId,
    };
    facts.push({ cause: g.cause, region: g.region, time: hop?.end ?? 0, websocket: hop?.record?.upgrade?.toLowerCase() === 'websocket' || hop?.status === 101, viaFront: Boolean(hop?.record?.forwardedFor) });
    const key = [g.cause, g.region, g.path, g.upstream].join('\u0000');
    const have = groups.get(key) ?? g;
    have.count++;
    groups.set(key, have);
  }
  report.groups = [...groups.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
  report.patterns = findPatterns(facts, trafficOf(index, o.from, o.to));
  return report;
}

export function runFailures(index: RecordIndex, o: FailuresOptions, stdout: NodeJS.WritableStream): number {
  printFailures(failureReport(index, o), o, stdout);
  return 0;
}

/** The report as a table (or JSON with `json`), with the fleet patterns under it. */
export function printFailures(r: FailuresReport, o: Pick<FailuresOptions, 'json' | 'color'>, stdout: NodeJS.WritableStream): void {
  if (o.json) {
    stdout.write(terminalSafeJson(r) + '\n');
    return;
  }
  const c = o.color ? pc : { bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s };
  const span = r.from <= 0 ? 'all the index' : `${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}`;
  stdout.write(`${c.bold(`${r.diagnosed} failed requests`)} ${c.dim(`(${span})`)}\n`);
  if (r.groups.length) {
    const head = ['count', 'cause', 'region', 'path', 'upstream', 'example request ID'];
    const rows = r.groups.map((g) => [String(g.count), g.cause, terminalSafe(g.region, 20), terminalSafe(g.path, 40), terminalSafe(g.upstream, 28), terminalSafe(g.example, 40)]);
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
    stdout.write(c.dim(head.map((h, i) => (i === 0 ? h.padStart(w[i]!) : h.padEnd(w[i]!))).join('  ')) + '\n');
    for (const x of rows) stdout.write(x.map((v, i) => (i === 0 ? v.padStart(w[i]!) : i === 1 ? c.red(v.padEnd(w[i]!)) : v.padEnd(w[i]!))).join('  ').trimEnd() + '\n');
  }
  for (const p of r.patterns) {
    stdout.write(`${c.bold('pattern')} ${p.id}${p.cause === '*' ? '' : ` (${p.cause})`}: ${terminalSafe(p.summary, 300)}\n  ${c.dim(`points to ${p.pointsTo}`)}\n`);
  }
  if (r.withoutRequestId) stdout.write(c.dim(`${r.withoutRequestId} failing lines carry no request ID (log $request_id, see the README) and are not joined\n`));
}
