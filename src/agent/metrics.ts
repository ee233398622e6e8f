/**
 * The agent's /metrics (Prometheus text, prom-client): lines read per source, parse errors by
 * reason, lag per file (bytes and seconds), join tiers and 5xx by cause of recent failures, the
 * export outbox, and the process's own (RSS, CPU, event loop lag).
 */

import { statSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LogRecord } from '../../parsers/index.js';
import type { ExportStats } from '../export/pipeline.js';
import { failureCandidatesUpTo, parseErrorsByReason } from '../store/queries.js';
import type { Recent5xx } from './queries.js';
import type { AgentView } from './view.js';

/** Failures of this recent window are diagnosed for the 5xx-by-cause gauge on each scrape. */
const RECENT_MS = 5 * 60_000;
/**
 * A window with at most this many candidates (failureCandidates: errors, WebSockets, cut
 * answers) is diagnosed on the agent's thread: ~0.4 ms each here (one /v1/failures of 500 took
 * 216 ms), so ~10 ms a scrape at most. More go to a query thread, which costs the agent 11 MB
 * (Node 20) to 17 MB (Node 24) while it lives: with a scraper every 10 s it never ended.
 */
export const INLINE_RECENT_CANDIDATES = 20;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly lines: Counter<'source'>;
  private readonly readErrors: Counter;
  private readonly gaps: Counter;
  private readonly gapBytes: Counter;
  private readonly checkpoints: Histogram;

  constructor(agent: AgentView) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'claw_trace_' });
    // prom-client's three totals of active handles/requests/resources are gauges named `_total`,
    // which `promtool check metrics` refuses; the same counts by type stay (sum them).
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      r.removeSingleMetric(`claw_trace_nodejs_${name}`);
    this.lines = new Counter({
      name: 'claw_trace_lines_parsed_total',
      help: 'Lines parsed and indexed by this agent, by source',
      labelNames: ['source'],
      registers: [r],
    });
    this.readErrors = new Counter({
      name: 'claw_trace_read_errors_total',
      help: 'Files that could not be read (permissions, vanished)',
      registers: [r],
    });
    this.gaps = new Counter({
      name: 'claw_trace_gaps_total',
      help: 'Files truncated in place (copytruncate) since the agent started: lines written between the copy and the truncate are lost',
      registers: [r],
    });
    this.gapBytes = new Counter({
      name: 'claw_trace_gap_unread_bytes_total',
      help: 'Bytes of truncated files seen and not yet read when the truncate was found (looked for in the copy)',
      registers: [r],
    });
    this.checkpoints = new Histogram({
      name: 'claw_trace_wal_checkpoint_seconds',
      help: "The index's WAL checkpoints, one a second: on the agent's thread (the API waits meanwhile), on a thread of its own where they were slow",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [r],
    });
    new Gauge({
      name: 'claw_trace_parse_errors',
      help: 'Unreadable lines in the index, by reason',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset();
        for (const row of parseErrorsByReason(agent.index)) this.set({ reason: row.reason }, row.n);
      },
    });
    new Gauge({
      name: 'claw_trace_lines_read',
      help: 'Lines read per followed file (the checkpoint)',
      labelNames: ['file'],
      registers: [r],
      collect() {
        this.reset();
        const followed = new Set(agent.tailing());
        for (const f of agent.index.files()) if (followed.has(f.path)) this.set({ file: f.path }, f.line_no);
      },
    });
    /** Bytes behind and seconds since the checkpoint last moved, per followed file. */
    const lag = () => {
      const followed = new Set(agent.tailing());
      const out: { file: string; bytes: number; seconds: number }[] = [];
      for (const f of agent.index.files()) {
        if (!followed.has(f.path)) continue;
        const st = statSync(f.path, { throwIfNoEntry: false });
        if (!st) continue;
        const behind = Math.max(0, st.size - f.offset);
        out.push({
          file: f.path,
          bytes: behind,
          seconds: behind > 0 ? Math.max(0, (Date.now() - f.updated_at) / 1000) : 0,
        });
      }
      return out;
    };
    new Gauge({
      name: 'claw_trace_file_lag_bytes',
      help: 'Bytes written to a followed file and not read yet',
      labelNames: ['file'],
      registers: [r],
      collect() {
        this.reset();
        for (const l of lag()) this.set({ file: l.file }, l.bytes);
      },
    });
    new Gauge({
      name: 'claw_trace_file_lag_seconds',
      help: 'How long a followed file has had unread bytes (0 when caught up)',
      labelNames: ['file'],
      registers: [r],
      collect() {
        this.reset();
        for (const l of lag()) this.set({ file: l.file }, l.seconds);
      },
    });
    // Diagnosed on a query thread (diagnosis costs tens of ms per failure; on this thread it held
    // up the intake and /healthz), once per scrape for both gauges, at the head of the query
    // threads' line (a scrape waits for a thread at most, it is never refused).
    let last: Recent5xx = { groups: [], joinTiers: {} };
    let pending: { at: number; p: Promise<Recent5xx> } | undefined;
    /** Which call's figures `last` holds: an older one finishing later does not overwrite a newer one. */
    let calls = 0;
    let lastCall = 0;
    /** The agent's thread failed to diagnose once: the query threads do it from then on. */
    let inlineFailed = false;
    const recent = (): Promise<Recent5xx> => {
      const now = Date.now();
      if (pending && now - pending.at < 1000) return pending.p;
      const args = { from: now - RECENT_MS, to: now };
      const call = ++calls;
      const keep = (r: Recent5xx) => {
        if (call > lastCall) {
          lastCall = call;
          last = r;
        }
        return last;
      };
      const few = () => failureCandidatesUpTo(agent.index, args, INLINE_RECENT_CANDIDATES);
      const p = (async (): Promise<Recent5xx> => {
        if (!inlineFailed) {
          try {
            const n = few();
            if (n === 0) return keep({ groups: [], joinTiers: {} });
            if (n <= INLINE_RECENT_CANDIDATES) {
              // The diagnosis code loads with the first failure (the agent starts without it);
              // counted again after the load, in the same turn as the diagnosis.
              const q = await import('./queries.js');
              if (few() <= INLINE_RECENT_CANDIDATES)
                return keep(q.runQuery(agent.index, { kind: 'recent5xx', args }) as Recent5xx);
            }
          } catch {
            inlineFailed = true;
          }
        }
        if (!agent.queries) return last;
        // Stopping, or a thread lost: the last figures.
        return agent.queries.run<Recent5xx>({ kind: 'recent5xx', args }, { first: true }).then(keep, () => last);
      })();
      pending = { at: now, p };
      return p;
    };
    new Gauge({
      name: 'claw_trace_recent_join_spans',
      help: 'Spans of the recent failed requests by join tier (1 request ID .. 4 context)',
      labelNames: ['tier'],
      registers: [r],
      async collect() {
        const report = await recent();
        this.reset();
        for (const [tier, n] of Object.entries(report.joinTiers)) this.set({ tier }, n);
      },
    });
    new Gauge({
      name: 'claw_trace_recent_5xx',
      help: `Failed requests of the last ${RECENT_MS / 60_000} minutes by diagnosed cause and region`,
      labelNames: ['cause', 'region'],
      registers: [r],
      async collect() {
        const report = await recent();
        this.reset();
        for (const g of report.groups) this.inc({ cause: g.cause, region: g.region }, g.count);
      },
    });
    // After the recent-5xx gauges (collected in order): a thread they start is counted.
    new Gauge({
      name: 'claw_trace_query_threads',
      help: 'Query threads alive (each its own V8 heap: ~11-17 MB); they end after 30 s without a query',
      registers: [r],
      collect() {
        this.set(agent.queries?.size ?? 0);
      },
    });
    // What the export thread counts (since the agent started; dropped: ever, for this outbox),
    // as counters: each scrape adds what grew since the last one.
    const stat = (name: string, help: string, read: (s: ExportStats | undefined) => number) => {
      let last = 0;
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          const now = read(agent.exportStats());
          if (now < last) {
            this.reset();
            last = 0;
          } // the export thread started again
          if (now > last) this.inc(now - last);
          last = now;
        },
      });
    };
    new Gauge({
      name: 'claw_trace_export_outbox_spans',
      help: 'Spans waiting in the export outbox',
      registers: [r],
      collect() {
        this.set(agent.exportStats()?.spans ?? 0);
      },
    });
    stat(
      'claw_trace_export_delivered_spans_total',
      'Spans the OTLP endpoint accepted since the agent started',
      (s) => s?.deliveredSpans ?? 0,
    );
    stat(
      'claw_trace_export_dropped_spans_total',
      'Spans dropped over the outbox cap (ever, for this outbox)',
      (s) => s?.droppedSpans ?? 0,
    );
    stat(
      'claw_trace_export_failures_total',
      'Failed OTLP deliveries since the agent started (each retried)',
      (s) => s?.failures ?? 0,
    );
  }

  committed(records: LogRecord[]): void {
    const by = new Map<string, number>();
    for (const rec of records) by.set(rec.source, (by.get(rec.source) ?? 0) + 1);
    for (const [source, n] of by) this.lines.inc({ source }, n);
  }

  gap(unreadBytes: number): void {
    this.gaps.inc();
    this.gapBytes.inc(unreadBytes);
  }

  checkpointed(seconds: number): void {
    this.checkpoints.observe(seconds);
  }

  readError(): void {
    this.readErrors.inc();
  }
}
