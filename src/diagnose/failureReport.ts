/**
 * The 5xx report of a window (`claw-trace 5xx`, the agent's /v1/failures and its recent-5xx
 * gauge): the failures grouped by cause, region, path and upstream, with counts, one example
 * request ID per group, and what they have in common.
 */

import { asksForWebSocket } from '../../parsers/record.js';
import { assembleTrace } from '../correlate/assemble.js';
import type { Span, Trace } from '../correlate/trace.js';
import { failureCandidates } from '../store/queries.js';
import type { RecordIndex } from '../store/recordIndex.js';
import { diagnose } from './diagnose.js';
import { type FailureFact, findPatterns, type Pattern, trafficOf } from './patterns.js';

export interface FailuresWindow {
  from: number;
  to: number;
  region?: string;
  /** At most this many requests are joined and diagnosed (newest first). */
  limit?: number;
  /** false: no patterns (they read the window's traffic: up to 2,000 successes and 5,000 gateway lines). */
  patterns?: boolean;
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
function candidates(index: RecordIndex, o: FailuresWindow): { requestId: string | null }[] {
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

export function failureReport(index: RecordIndex, o: FailuresWindow): FailuresReport {
  const rows = candidates(index, o);
  const limit = o.limit ?? 2000;
  const report: FailuresReport = {
    from: o.from,
    to: o.to,
    candidates: rows.length,
    diagnosed: 0,
    withoutRequestId: 0,
    causes: [],
    groups: [],
    patterns: [],
    joinTiers: {},
  };
  const facts: FailureFact[] = [];
  const groups = new Map<string, FailureGroup>();
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.requestId === null) {
      report.withoutRequestId++;
      continue;
    }
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
    facts.push({
      cause: g.cause,
      region: g.region,
      time: hop?.end ?? 0,
      websocket: (hop?.record !== undefined && asksForWebSocket(hop.record)) || hop?.status === 101,
      viaFront: Boolean(hop?.record?.forwardedFor),
    });
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
  report.groups = [...groups.values()].sort(
    (a, b) =>
      rank.get(a.cause)! - rank.get(b.cause)! ||
      b.count - a.count ||
      a.region.localeCompare(b.region) ||
      a.path.localeCompare(b.path),
  );
  if (o.patterns !== false) report.patterns = findPatterns(facts, trafficOf(index, o.from, o.to));
  return report;
}
