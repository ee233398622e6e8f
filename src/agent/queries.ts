/**
 * The API's heavy reads, as plain functions of an index: the failure report (a diagnosis per
 * failed request), a window of access lines, the recent-5xx figures of /metrics. They run in the
 * query threads (queryPool.ts), each with its own read-only connection, never on the thread
 * that reads the logs and answers /healthz.
 */

import { type FailuresReport, failureReport } from '../diagnose/failureReport.js';
import type { RecordIndex } from '../store/recordIndex.js';
import { rehydrate } from '../store/rehydrate.js';

export interface WindowArgs {
  from: number;
  to: number;
  region?: string;
  limit: number;
}
export type Query =
  | { kind: 'failures'; args: WindowArgs & { cause?: string }; label: { region: string | null; builder: string } }
  | { kind: 'requests'; args: WindowArgs & { status?: number; minStatus?: number } }
  | { kind: 'recent5xx'; args: { from: number; to: number } };

export interface RequestRow {
  requestId: string | null;
  time: number;
  status: number | null;
  source: string;
  region: string | null;
  method: string | null;
  path: string;
  file: string | undefined;
  line: number | undefined;
}
export interface Recent5xx {
  groups: { cause: string; region: string; count: number }[];
  joinTiers: Record<string, number>;
}

/**
 * The routes' answers come back as JSON text, serialized on the query thread: a report of 500
 * diagnosed failures is large, and copying it between threads and serializing it on the agent's
 * thread cost that thread several ms per call.
 */
export type QueryResult = { json: string } | Recent5xx;

export function runQuery(index: RecordIndex, q: Query): QueryResult {
  switch (q.kind) {
    case 'failures': {
      const { cause, ...args } = q.args;
      const report: FailuresReport = failureReport(index, args);
      const only = <T extends { cause: string }>(xs: T[]) => (cause ? xs.filter((x) => x.cause === cause) : xs);
      return {
        json: JSON.stringify({
          ...report,
          causes: only(report.causes),
          groups: only(report.groups),
          region: q.label.region,
          builder: q.label.builder,
        }),
      };
    }
    case 'requests': {
      const requests: RequestRow[] = rehydrate(index.search({ ...q.args, accessOnly: true })).map((r) => ({
        requestId: r.requestId ?? null,
        time: r.time,
        status: r.status ?? null,
        source: r.source,
        region: r.region ?? null,
        method: r.method ?? null,
        path: (r.uri ?? '').split('?')[0] ?? '',
        file: r.file,
        line: r.lineNo,
      }));
      return { json: JSON.stringify({ from: q.args.from, to: q.args.to, requests }) };
    }
    case 'recent5xx': {
      // The gauges need no patterns (the window's traffic, read for them, is most of the cost of a few failures).
      const report = failureReport(index, { ...q.args, limit: 500, patterns: false });
      return {
        groups: report.groups.map((g) => ({ cause: g.cause, region: g.region, count: g.count })),
        joinTiers: report.joinTiers,
      };
    }
  }
}
