/**
 * The export pipeline: follows what the intake commits (the `batches` change log), exports each
 * request's trace when its join window closes, keeps the spans in the outbox until the OTLP
 * endpoint accepts them, and retries with backoff when it does not.
 *
 * - A request is due when no line of it has arrived for `joinWindowMs`, in log time (the newest
 *   line seen, so a backfill does not wait on the wall clock) or in wall time (a quiet live file).
 * - A late line re-exports: one with the request's ID queues the request again; an error or
 *   gateway line without an ID queues the failed requests exported around its time. The spans
 *   keep their IDs (they are deterministic), so the backend replaces them.
 * - The cursor (the last batch whose requests are all in the outbox) is stored with the outbox:
 *   after a restart the pipeline re-reads at most one join window of batches.
 *
 * It runs on its own database connection; `exportThread.ts` runs it in a worker thread so the
 * assembly and the HTTP work do not slow the intake.
 */

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { isAccessSource } from '../../parsers/record.js';
import { assembleTrace } from '../correlate/assemble.js';
import { diagnose } from '../diagnose/diagnose.js';
import { changesAfter, forgetChangesUpTo, hasChangesAfter, linesOfChange } from '../store/queries.js';
import { RecordIndex } from '../store/recordIndex.js';
import type { ExportConfig } from './config.js';
import {
  claimExport,
  Outbox,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStats,
  openOutboxDatabase,
  otherExporter,
  outboxFileId,
  outboxPathFor,
  packSpans,
  rebuildOutbox,
  stateValue,
  unpackSpans,
} from './outbox.js';
import { toReadableSpans } from './spans.js';

/** A side line this close to an exported failed request re-exports it. */
const LATE_SLACK_MS = 2000;
/** Failed requests remembered for late lines: this much log time, at most this many. */
const RECENT_FAILURES_MS = 10 * 60_000;
const RECENT_FAILURES_MAX = 20_000;
const BATCHES_PER_TICK = 64;
const TRACES_PER_TICK = 4000;
const SPANS_PER_REQUEST = 4096;
const BACKOFF_BASE_MS = 1000;
const TRIM_EVERY_MS = 5000;
const BACKOFF_MAX_MS = 60_000;
/** How often the outbox's path is checked to still be the open file (a stat). */
const OUTBOX_CHECK_MS = 1000;

export interface ExportStats extends OutboxStats {
  /** Traces written to the outbox (exports and re-exports) by this process. */
  exportedTraces: number;
  /** Spans the endpoint accepted, by this process. */
  deliveredSpans: number;
  /** Failed deliveries (each retried later), by this process. */
  failures: number;
  pendingRequests: number;
  /** The endpoint's state: ok, or retrying after failures (with the last error). */
  state: 'ok' | 'retrying';
  lastError?: string;
  retryInMs?: number;
}

interface Pending {
  time: number;
  seenAt: number;
  seq: number;
}
export type ExportLog = (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;

export interface PipelineOptions {
  /** The OTLP exporter (default: OTLP/HTTP with protobuf or JSON as configured). */
  exporter?: SpanExporter;
  log?: ExportLog;
  now?: () => number;
  /** On an index that has never exported: the last batch not to export (default: the newest now). */
  startAfter?: number;
  /**
   * What this pipeline does: both stages (default), or one of them, so that two threads can work
   * side by side (assembling traces into the outbox; sending the outbox).
   */
  role?: 'both' | 'assemble' | 'send';
}

export async function createOtlpExporter(c: ExportConfig): Promise<SpanExporter> {
  const opts = { url: c.url, headers: c.headers, timeoutMillis: c.timeoutMs };
  if (c.protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(opts);
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(opts);
}

/**
 * The endpoint's `Retry-After` (429/503) of the last delivery that failed, in ms. The OTLP
 * exporter honours it between its own retries within one delivery's timeout, then reports a
 * plain failure without it; the pipeline must not come back sooner either. Read from the
 * exporter's transport result (@opentelemetry/otlp-exporter-base 0.223, pinned): when the
 * shape is not there, nothing is read and the pipeline's own backoff applies.
 */
function watchRetryAfter(exporter: SpanExporter): () => number | undefined {
  let last: number | undefined;
  const transport = (
    exporter as unknown as {
      _delegate?: { _transport?: { send?: (...a: unknown[]) => Promise<{ status?: string; retryInMillis?: number }> } };
    }
  )._delegate?._transport;
  if (transport?.send) {
    const send = transport.send.bind(transport);
    transport.send = async (...a: unknown[]) => {
      const r = await send(...a);
      last =
        r.status === 'retryable' && typeof r.retryInMillis === 'number' && r.retryInMillis > 0
          ? r.retryInMillis
          : undefined;
      return r;
    };
  }
  return () => last;
}

export class ExportBusyError extends Error {
  override name = 'ExportBusyError';
  constructor(readonly pid: number) {
    super(`another claw-trace process (pid ${pid}) exports this index; it sends what is committed here too`);
  }
}

export class ExportPipeline {
  readonly index: RecordIndex;
  /** Replaced when its file is deleted or replaced under it (see checkOutbox). */
  outbox: Outbox;
  private outboxFile: string | undefined;
  private outboxCheckedAt = 0;
  private readonly pending = new Map<string, Pending>();
  private recentFailures: { time: number; requestId: string }[] = [];
  private cursor: number;
  private handled: number;
  private watermark = 0;
  private trimmed = 0;
  private readonly cursorKey: string;
  private lastTrim = 0;
  private final = false;
  private inFlight = false;
  private failuresInRow = 0;
  private nextAttemptAt = 0;
  private lastError: string | undefined;
  private readonly resources = new Map<string, Resource>();
  private exporter: SpanExporter | undefined;
  private readonly log: ExportLog;
  private readonly now: () => number;
  private readonly counts = { exportedTraces: 0, deliveredSpans: 0, failures: 0 };

  constructor(
    private readonly dbPath: string,
    private readonly config: ExportConfig,
    private readonly opts: PipelineOptions = {},
  ) {
    const outboxDb = openOutboxDatabase(dbPath);
    const other = otherExporter(outboxDb);
    if (other !== undefined) {
      outboxDb.close();
      throw new ExportBusyError(other);
    }
    claimExport(outboxDb);
    // It reads a few recent pages per trace: a small page cache (each export thread has its own).
    this.index = new RecordIndex(dbPath, { cacheMiB: 8 });
    this.outbox = new Outbox(outboxDb, config.outboxMaxBytes);
    this.outboxFile = outboxFileId(dbPath);
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    // First start: export what is committed from now on, not the index's history.
    this.cursorKey = `cursor:${this.index.indexId}`;
    this.cursor = stateValue(this.outbox.db, this.cursorKey) ?? opts.startAfter ?? this.index.lastBatch();
    this.handled = this.cursor;
    this.exporter = opts.exporter;
  }

  /** Export everything pending now, without waiting for join windows (the end of a backfill). */
  flushAll(): void {
    this.final = true;
  }

  /** Reads new batches and writes due traces to the outbox; true if there may be more to do at once. */
  tick(): boolean {
    const now = this.now();
    this.checkOutbox();
    const batches = changesAfter(this.index, this.cursor, BATCHES_PER_TICK);
    for (const b of batches) {
      for (const r of linesOfChange(this.index, b)) {
        if (r.time > this.watermark) this.watermark = r.time;
        if (r.request_id !== null) this.queue(r.request_id, r.time, now, b.seq);
        else if (!isAccessSource(r.source)) this.lateSideLine(r.time, now, b.seq);
      }
      this.cursor = b.seq;
    }

    const due: [string, Pending][] = [];
    for (const [id, p] of this.pending) {
      if (
        this.final ||
        p.time < this.watermark - this.config.joinWindowMs ||
        p.seenAt + this.config.joinWindowMs <= now
      )
        due.push([id, p]);
      if (due.length >= TRACES_PER_TICK) break;
    }
    const entries: OutboxEntry[] = [];
    for (const [id, p] of due) {
      this.pending.delete(id);
      const trace = assembleTrace(this.index, id);
      if (!trace) continue;
      const d = diagnose(trace, this.index);
      const spans = toReadableSpans(trace, d, this.config.host);
      entries.push({ traceId: trace.traceId, spans: spans.length, data: packSpans(trace.traceId, spans) });
      if (d.failed) this.rememberFailure(p.time, id);
    }
    // Everything up to the oldest batch with a request still waiting is in the outbox.
    const first = this.pending.values().next();
    const handled = first.done ? this.cursor : first.value.seq - 1;
    const droppedBefore = this.outbox.stats().droppedSpans;
    this.outbox.put(entries, handled !== this.handled ? [this.cursorKey, handled] : undefined);
    const dropped = this.outbox.stats().droppedSpans - droppedBefore;
    if (dropped > 0) this.droppedSaid(dropped);
    this.counts.exportedTraces += entries.length;
    this.handled = handled;
    // The change log's handled rows go now and then (a write on the index: kept rare).
    if (now - this.lastTrim > TRIM_EVERY_MS && this.trimmed < handled) {
      forgetChangesUpTo(this.index, handled);
      this.trimmed = handled;
      this.lastTrim = now;
    }
    return (
      batches.length === BATCHES_PER_TICK || due.length === TRACES_PER_TICK || (this.final && this.pending.size > 0)
    );
  }

  /**
   * The outbox file deleted or replaced while this runs: the open connection still writes to
   * the old file, unlinked, whose waiting spans would be gone at the next start (the issue's
   * run lost 6,941 of 11,998 traces, dropped_spans 0). Checked once a second (a stat of the
   * path against the file opened); said at warn and rebuilt from what the connection holds.
   */
  checkOutbox(force = false): void {
    const now = Date.now();
    if (!force && now - this.outboxCheckedAt < OUTBOX_CHECK_MS) return;
    this.outboxCheckedAt = now;
    const found = outboxFileId(this.dbPath);
    if (found !== undefined && found === this.outboxFile) return;
    const file = outboxPathFor(this.dbPath);
    try {
      const r = rebuildOutbox(this.outbox.db, this.dbPath);
      this.outbox = new Outbox(r.db, this.config.outboxMaxBytes);
      this.outboxFile = outboxFileId(this.dbPath);
      if (r.adopted) return; // another export thread of this process rebuilt it and said so
      const s = this.outbox.stats();
      this.log(
        'warn',
        `export: the outbox ${file} was ${found === undefined ? 'deleted' : 'replaced'} while in use; rebuilt from the ${s.spans} spans (${s.traces} traces) not yet delivered and the export's cursor${r.movedAside ? `; the file found there is kept as ${r.movedAside}` : ''}`,
        { outbox: file, spans: s.spans, traces: s.traces, movedAside: r.movedAside },
      );
    } catch (e) {
      this.log(
        'warn',
        `export: the outbox ${file} was ${found === undefined ? 'deleted' : 'replaced'} while in use and could not be rebuilt (${(e as Error).message}); spans wait in the open file, tried again in ${OUTBOX_CHECK_MS} ms`,
        { outbox: file },
      );
    }
  }

  private queue(requestId: string, time: number, now: number, seq: number): void {
    const p = this.pending.get(requestId);
    if (p) {
      if (time > p.time) p.time = time;
      p.seenAt = now;
    } else this.pending.set(requestId, { time, seenAt: now, seq });
  }

  private rememberFailure(time: number, requestId: string): void {
    const f = this.recentFailures;
    let i = f.length;
    while (i > 0 && f[i - 1]!.time > time) i--;
    f.splice(i, 0, { time, requestId });
    const horizon = this.watermark - RECENT_FAILURES_MS;
    let drop = 0;
    while (drop < f.length && (f[drop]!.time < horizon || f.length - drop > RECENT_FAILURES_MAX)) drop++;
    if (drop > 0) this.recentFailures = f.slice(drop);
  }

  /** An error or gateway line: failed requests already exported around it are exported again. */
  private lateSideLine(time: number, now: number, seq: number): void {
    const f = this.recentFailures;
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid]!.time < time - LATE_SLACK_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < f.length && f[i]!.time <= time + LATE_SLACK_MS; i++)
      this.queue(f[i]!.requestId, f[i]!.time, now, seq);
  }

  private sending: Promise<unknown> | undefined;
  /**
   * One delivery attempt of the oldest waiting spans, unless one is under way or backing off.
   * Ticking goes on while it runs (the exporter's own retries can hold an attempt for seconds).
   */
  send(): Promise<'sent' | 'idle' | 'failed' | 'waiting'> {
    this.checkOutbox(); // a sending-only thread (ingest's) does not tick: it looks here
    if (this.inFlight || this.now() < this.nextAttemptAt) return Promise.resolve('waiting');
    const rows = this.outbox.take(SPANS_PER_REQUEST);
    if (rows.length === 0) return Promise.resolve('idle');
    this.inFlight = true;
    const attempt = this.attempt(rows);
    this.sending = attempt;
    return attempt;
  }

  private async attempt(rows: OutboxRow[]): Promise<'sent' | 'failed'> {
    try {
      if (!this.exporter) {
        this.exporter = await createOtlpExporter(this.config);
        this.retryAfter = watchRetryAfter(this.exporter);
      } else if (!this.retryAfter) this.retryAfter = watchRetryAfter(this.exporter);
      const spans = rows.flatMap((r) => unpackSpans(r.data, this.resources));
      const result = await new Promise<ExportResult>((resolve) => this.exporter!.export(spans, resolve));
      if (result.code !== ExportResultCode.SUCCESS) throw result.error ?? new Error('export failed');
      this.delivered(rows, spans.length);
      return 'sent';
    } catch (e) {
      this.failed(e as Error);
      return 'failed';
    } finally {
      this.inFlight = false;
    }
  }

  private delivered(rows: OutboxRow[], spans: number): void {
    this.outbox.ack(rows);
    this.counts.deliveredSpans += spans;
    try {
      const freed = this.outbox.compact();
      if (freed > 0)
        this.log('info', `export: outbox delivered; ${Math.round(freed / 1024 / 1024)} MiB of disk given back`, {
          freedBytes: freed,
        });
    } catch {
      /* busy: the next emptying tries again */
    }
    if (this.failuresInRow > 0) {
      this.log('info', `export: ${this.config.url} accepts spans again after ${this.failuresInRow} failed attempts`, {
        url: this.config.url,
      });
    }
    this.failuresInRow = 0;
    this.lastError = undefined;
    this.nextAttemptAt = 0;
  }

  private retryAfter: (() => number | undefined) | undefined;
  private dropped = { since: 0, spans: 0, saidAt: 0 };

  /** Spans dropped over the outbox cap: said once when it starts, then at most once a minute with the count. */
  private droppedSaid(spans: number): void {
    const now = this.now();
    this.dropped.spans += spans;
    if (this.dropped.saidAt !== 0 && now - this.dropped.saidAt < 60_000) return;
    this.log(
      'warn',
      `export: the outbox is over its cap (${this.config.outboxMaxBytes} bytes): ${this.dropped.spans} spans of the oldest traces dropped${this.dropped.saidAt ? ' since the last warning' : ''} (claw_trace_export_dropped_spans counts them all)`,
      { droppedSpans: this.dropped.spans },
    );
    this.dropped = { since: now, spans: 0, saidAt: now };
  }

  private failed(e: Error): void {
    this.counts.failures++;
    this.failuresInRow++;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(16, this.failuresInRow - 1));
    // The endpoint said when to come back (429/503 Retry-After): not sooner (at most an hour).
    const asked = Math.min(3600_000, this.retryAfter?.() ?? 0);
    const wait = Math.max(asked, Math.round(backoff * (0.5 + Math.random() / 2)));
    this.nextAttemptAt = this.now() + wait;
    const msg = (e.message || String(e)).slice(0, 300);
    // Said once per outage (and when the reason changes), not on every retry.
    if (this.failuresInRow === 1 || msg !== this.lastError) {
      this.log(
        'warn',
        `export: ${this.config.url} did not accept spans (${msg}); they wait in the outbox (${this.outbox.stats().spans} spans), retrying with backoff`,
        { url: this.config.url, error: msg },
      );
    }
    this.lastError = msg;
  }

  stats(): ExportStats {
    const retrying = this.failuresInRow > 0;
    return {
      ...this.outbox.stats(),
      ...this.counts,
      pendingRequests: this.pending.size,
      state: retrying ? 'retrying' : 'ok',
      lastError: this.lastError,
      retryInMs: retrying ? Math.max(0, this.nextAttemptAt - this.now()) : undefined,
    };
  }

  /** True when everything committed so far has been handled and delivered. */
  idle(): boolean {
    const role = this.opts.role ?? 'both';
    const assembled = role === 'send' || (!hasChangesAfter(this.index, this.cursor) && this.pending.size === 0);
    return assembled && (role === 'assemble' || this.outbox.stats().traces === 0);
  }

  private stopping = false;
  private loop: Promise<void> | undefined;
  /** Runs until `stop()`: ticks, and sends while the endpoint accepts (backing off while it does not). */
  start(intervalMs = 200): void {
    if (this.loop) return;
    this.loop = (async () => {
      const role = this.opts.role ?? 'both';
      while (!this.stopping) {
        const busy = role !== 'send' && this.tick();
        if (role !== 'assemble') void this.send();
        // A quick next look while there is work; the interval when there is none. A delivery that
        // ends wakes the loop at once, so the next one starts without waiting.
        if (busy) await new Promise((res) => setImmediate(res));
        else {
          // Spans waiting and a delivery could start: look again soon. Not while one is under way
          // (its end wakes the loop) nor while backing off after a failure: through an outage the
          // 20 ms wake-ups cost ~5% of a core (2.25% idle with a collector up, 6.25% down).
          const waiting =
            role !== 'assemble' && !this.inFlight && this.now() >= this.nextAttemptAt && this.outbox.stats().traces > 0;
          await Promise.race([
            new Promise((res) => setTimeout(res, waiting ? Math.min(intervalMs, 20) : intervalMs)),
            ...(this.inFlight && this.sending ? [this.sending] : []),
          ]);
        }
      }
      await this.sending;
    })();
  }

  /** Flushes every pending request and waits until the outbox is empty or `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<ExportStats> {
    this.flushAll();
    this.start();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.idle()) await new Promise((r) => setTimeout(r, 20));
    return this.stats();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.sending;
    await this.exporter?.shutdown().catch(() => {});
    claimExport(this.outbox.db, true);
    this.outbox.db.close();
    this.index.close();
  }
}
