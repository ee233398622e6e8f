/**
 * A backfill (`claw-trace ingest`): files read oldest first into the index with the same intake
 * as the agent; a bulk load (pages written once through a rollback journal when no other process
 * has the index open) when the input is large against the index; the OTLP export of what was read, unless an agent already exports this index.
 * What it says while it works goes through `events`: the command decides how to show it.
 */

import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { ExportConfig } from '../export/config.js';
import type { ExportThread } from '../export/exportThread.js';
import { RecordIndex } from '../store/recordIndex.js';
import { usedBytes } from '../store/retention.js';
import { type IntakeOptions, type IntakeResult, intakeFile } from './intakeFile.js';

export interface BackfillOptions extends IntakeOptions {
  db: string;
  /** The resolved OTLP export (none: no export). */
  exportConfig?: ExportConfig;
  /** How long to wait for the outbox to drain before returning, ms. */
  exportWaitMs?: number;
  /**
   * Bulk load: write through a rollback journal (each new page once) when no other process has
   * the index open. `auto` (default): when the input is at least BULK_MIN_BYTES and at least as
   * large as the index.
   */
  bulk?: 'auto' | 'always' | 'never';
}

/**
 * Whether a backfill parses large files on a thread of its own: where the machine has a second
 * core (`os.availableParallelism()`), unless CLAW_TRACE_PARSE_THREAD=0 (=1: on one core too).
 * The thread reads, parses and prepares each commit's writes (prepare.ts: rows, sorted ID
 * entries, compressed blocks), so the writing thread only inserts and commits. Measured on this
 * 2-vCPU machine (176 MB files, interleaved): 1M `combined` lines 175,000-211,000 -> 233,000-288,000
 * lines/s, 180k `claw_json` lines 41,000-48,000 -> 64,000-72,000, peak RSS +20-45 MB (a second V8
 * heap), CPU about the same. Before the writes were prepared there, the thread only parsed and
 * measured slower on 2 cores (each batch rebuilt line by line on the writing thread).
 */
export function parseThreadWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CLAW_TRACE_PARSE_THREAD === '0') return false;
  return env.CLAW_TRACE_PARSE_THREAD === '1' || availableParallelism() >= 2;
}

/**
 * A backfill's batches cover at least this much log (up to 4 x 1,500 lines): each commit of a
 * bulk load costs ~5 fsyncs whatever it holds, and 1,500 `combined` lines are only ~250 KB.
 * 1M `combined` lines, 6 interleaved pairs on the loaded 2-vCPU machine: 6,000 lines a commit
 * was faster in 5 (wall -2% to -37%, median -17%; the COMMITs 1.7-5.2 s against 4.1-6.9 s), a tie
 * in one; as built, 3 more pairs: 69,946-76,939 lines/s against 42,483-54,200, CPU the same;
 * peak RSS 154-160 MB against 113-118. `claw_json` lines (~1 KB) are unchanged.
 */
export const BACKFILL_BATCH_BYTES = 1024 * 1024;

/**
 * SQLite's page cache for a backfill (the agent's too): its pages are appended and written once,
 * so a larger cache only holds them longer. A 1 GB `combined` file with the parse thread: peak RSS
 * 201 MB with the 32 MiB default, 180 with 16, 167 with 8, no slower (`claw_json` 159 -> 146 MB).
 */
export const BACKFILL_CACHE_MIB = 8;

/** Below this much input, switching the journal is not worth it. */
export const BULK_MIN_BYTES = 64 * 1024 * 1024;

export interface BackfillEvents {
  /** Before the first file: the bytes to read. */
  start?(totalBytes: number): void;
  /** Bytes of the input read so far, lines so far, the file being read. */
  progress?(doneBytes: number, lines: number, file: string): void;
  /** Another process (the agent) exports this index: this backfill does not. */
  exportedBy?(pid: number): void;
  /** A warning of the export thread. */
  exportWarning?(message: string): void;
  /** The files are read; waiting for the outbox to drain. */
  draining?(url: string): void;
}

export interface IngestSummary {
  db: string;
  files: {
    file: string;
    format: string;
    lines: number;
    records: number;
    errors: Partial<Record<string, number>>;
    skipped?: string;
    gap?: boolean;
  }[];
  lines: number;
  records: number;
  errors: Record<string, number>;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
  /** Peak resident memory of this process, MB. */
  maxRssMB: number;
  /**
   * Set for a bulk load: `rollback` when the load had the index to itself (pages written once),
   * `wal` when another process had it open.
   */
  bulk?: { journal: 'rollback' | 'wal' };
  /** Set when a file was read, parsed and prepared on a thread of its own (parseThreadWanted). */
  parseThread?: true;
  /** The OTLP export of the ingested traces, when an endpoint is configured. */
  exportedBy?: number;
  export?: {
    url: string;
    exportedTraces: number;
    deliveredSpans: number;
    waitingSpans: number;
    droppedSpans: number;
    lastError?: string;
  };
}

export async function backfill(
  files: string[],
  opts: BackfillOptions,
  events: BackfillEvents = {},
): Promise<IngestSummary> {
  const total = (await Promise.all(files.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
  const exportConfig = opts.exportConfig;
  const index = new RecordIndex(opts.db, { cacheMiB: BACKFILL_CACHE_MIB });
  const bulk =
    opts.bulk === 'always' ||
    ((opts.bulk ?? 'auto') === 'auto' && total >= BULK_MIN_BYTES && total >= usedBytes(index));
  let exportedBy: number | undefined;
  const startExport = async (startAfter: number): Promise<ExportThread | undefined> => {
    if (!exportConfig) return undefined;
    // An agent exporting this index sends what this ingest commits: a second exporter would not.
    const { openOutboxDatabase, otherExporter } = await import('../export/outbox.js');
    const odb = openOutboxDatabase(opts.db);
    exportedBy = otherExporter(odb);
    odb.close();
    if (exportedBy !== undefined) {
      events.exportedBy?.(exportedBy);
      return undefined;
    }
    const { startExportThread } = await import('../export/exportThread.js');
    return startExportThread(opts.db, exportConfig, {
      startAfter,
      split: true, // a backfill: assembling and sending side by side once the files are read
      log: (level, msg) => {
        if (level === 'warn') events.exportWarning?.(msg);
      },
    });
  };
  const exportFrom = index.lastBatch();
  let bulkJournal: 'rollback' | 'wal' | undefined;
  // During a bulk load the export thread starts after it: its connection would keep the load in WAL.
  let exporting: ExportThread | undefined;
  if (bulk) bulkJournal = index.beginBulkLoad();
  else exporting = await startExport(exportFrom);
  const started = process.hrtime.bigint();
  const summary: IngestSummary = {
    db: opts.db,
    files: [],
    lines: 0,
    records: 0,
    errors: {},
    bytes: 0,
    seconds: 0,
    linesPerSecond: 0,
    maxRssMB: 0,
  };
  let done = 0;
  let linesSoFar = 0;
  events.start?.(total);
  try {
    for (const file of files) {
      const size = (await stat(file)).size;
      let fileDone = 0;
      const r: IntakeResult = await intakeFile(index, file, {
        ...opts,
        parseThread: parseThreadWanted(),
        batchBytes: opts.batchBytes ?? BACKFILL_BATCH_BYTES,
        onProgress: (bytes) => {
          // A .gz reports decompressed bytes: scale them to the file's share of the bar.
          fileDone = Math.min(size, fileDone + bytes);
          events.progress?.(done + fileDone, linesSoFar, file);
        },
      });
      done += size;
      linesSoFar += r.lines;
      summary.files.push({
        file: r.file,
        format: r.format,
        lines: r.lines,
        records: r.records,
        errors: r.errors,
        skipped: r.skipped,
        gap: r.gap !== undefined || undefined,
      });
      if (r.parseThread) summary.parseThread = true;
      summary.lines += r.lines;
      summary.records += r.records;
      summary.bytes += r.bytes;
      for (const [k, v] of Object.entries(r.errors)) summary.errors[k] = (summary.errors[k] ?? 0) + v!;
      events.progress?.(done, linesSoFar, file);
    }
  } catch (e) {
    await exporting?.stop().catch(() => undefined);
    throw e;
  } finally {
    if (bulk) index.endBulkLoad();
    index.close();
  }
  if (bulk) exporting = await startExport(exportFrom);
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.linesPerSecond = Math.round(summary.lines / Math.max(summary.seconds, 1e-6));
  summary.exportedBy = exportedBy;
  if (bulkJournal) summary.bulk = { journal: bulkJournal };
  if (exporting && exportConfig) {
    events.draining?.(exportConfig.url);
    await exporting.drain(opts.exportWaitMs ?? 60_000);
    const s = await exporting.stop(); // the figures at the stop: what was delivered and what still waits
    summary.export = {
      url: exportConfig.url,
      exportedTraces: s.exportedTraces,
      deliveredSpans: s.deliveredSpans,
      waitingSpans: s.spans,
      droppedSpans: s.droppedSpans,
      lastError: s.lastError,
    };
  }
  summary.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  return summary;
}
