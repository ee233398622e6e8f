/**
 * `claw-trace ingest [--db PATH] <files or globs...>`: backfill logs (plain and .gz) into the
 * index with the same parsers and the same intake as the agent. Re-running adds nothing twice.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hostname } from 'node:os';
import { glob, isDynamicPattern } from 'tinyglobby';
import cliProgress from 'cli-progress';
import { RecordIndex } from '../store/recordIndex.js';
import { usedBytes } from '../store/retention.js';
import { intakeFile, type IntakeOptions, type IntakeResult } from '../intake/intakeFile.js';
import { terminalSafe } from './terminalText.js';
import type { ExportConfig, ExportSettings } from '../export/config.js';
import { exportRequested } from '../export/requested.js';
import type { ExportThread } from '../export/exportThread.js';
import { UsageError } from './errors.js';

export interface IngestCommandOptions extends IntakeOptions {
  db: string;
  json?: boolean;
  /** OTLP export of the ingested requests' traces (off without an endpoint here or in OTEL_*). */
  export?: ExportSettings;
  /** How long to wait for the outbox to drain before exiting, ms. */
  exportWaitMs?: number;
  /**
   * Bulk load: drop the request/trace-ID indexes for the load and build them at its end. `auto`
   * (default): when the input is at least BULK_MIN_BYTES and at least as large as the index.
   */
  bulk?: 'auto' | 'always' | 'never';
}

/** Below this much input, keeping the indexes up to date costs less than building them again. */
export const BULK_MIN_BYTES = 64 * 1024 * 1024;


/** Files named or matched, oldest first (so rotated archives come before the live file). */
export async function expandFiles(patterns: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const p of patterns) {
    if (isDynamicPattern(p)) {
      const matches = await glob(p, { absolute: true, onlyFiles: true });
      if (matches.length === 0) throw new UsageError(`no file matches ${terminalSafe(p, 300)}`);
      for (const m of matches) found.add(m);
    } else {
      const s = await stat(p).catch(() => undefined);
      if (!s) throw new UsageError(`${terminalSafe(p, 300)}: no such file`);
      if (s.isDirectory()) throw new UsageError(`${terminalSafe(p, 300)} is a directory: give the log files in it (e.g. "${terminalSafe(p, 300).replace(/\/$/, '')}/*.log")`);
      if (!s.isFile()) throw new UsageError(`${terminalSafe(p, 300)} is not a file`);
      found.add(path.resolve(p));
    }
  }
  const withTime = await Promise.all([...found].map(async (f) => ({ f, s: await stat(f) })));
  return withTime.sort((a, b) => a.s.mtimeMs - b.s.mtimeMs || a.f.localeCompare(b.f)).map((x) => x.f);
}

export interface IngestSummary {
  db: string;
  files: { file: string; format: string; lines: number; records: number; errors: Partial<Record<string, number>>; skipped?: string; gap?: boolean }[];
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
  /** The OTLP export of the ingested traces, when an endpoint is configured. */
  exportedBy?: number;
  export?: { url: string; exportedTraces: number; deliveredSpans: number; waitingSpans: number; droppedSpans: number; lastError?: string };
}

export async function runIngest(patterns: string[], opts: IngestCommandOptions, stdout: NodeJS.WritableStream, stderr: NodeJS.WriteStream | NodeJS.WritableStream): Promise<number> {
  const files = await expandFiles(patterns);
  const total = (await Promise.all(files.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
  // The OTel packages load only when an endpoint may be configured (they cost ~25 MB of memory).
  let exportConfig: ExportConfig | undefined;
  if (exportRequested(opts.export ?? {})) {
    const { resolveExport, ExportConfigError } = await import('../export/config.js');
    try {
      exportConfig = resolveExport(opts.export ?? {}, { hostName: hostname() }).config;
    } catch (e) {
      if (e instanceof ExportConfigError) throw new UsageError(e.message);
      throw e;
    }
  }
  const index = new RecordIndex(opts.db);
  const bulk = opts.bulk === 'always' || ((opts.bulk ?? 'auto') === 'auto' && total >= BULK_MIN_BYTES && total >= usedBytes(index));
  let exportedBy: number | undefined;
  const startExport = async (startAfter: number): Promise<ExportThread | undefined> => {
    if (!exportConfig) return undefined;
    // An agent exporting this index sends what this ingest commits: a second exporter would not.
    const { openOutboxDatabase, otherExporter } = await import('../export/outbox.js');
    const odb = openOutboxDatabase(opts.db);
    exportedBy = otherExporter(odb);
    odb.close();
    if (exportedBy !== undefined) {
      if (!opts.json) stderr.write(`claw-trace: export: the claw-trace process ${exportedBy} (the agent) exports this index and sends these traces; this ingest does not export them again\n`);
      return undefined;
    }
    const { startExportThread } = await import('../export/exportThread.js');
    return startExportThread(opts.db, exportConfig, {
      startAfter,
      split: true, // a backfill: assembling and sending side by side once the files are read
      log: (level, msg) => { if (level === 'warn' && !opts.json) stderr.write(`claw-trace: ${terminalSafe(msg, 500)}\n`); },
    });
  };
  const exportFrom = index.lastBatch();
  let bulkJournal: 'rollback' | 'wal' | undefined;
  // Export assembles traces by request ID: during a bulk load it waits for the index.
  let exporting: ExportThread | undefined;
  if (bulk) bulkJournal = index.beginBulkLoad();
  else exporting = await startExport(exportFrom);
  const tty = (stderr as NodeJS.WriteStream).isTTY === true && !opts.json;
  const bar = tty
    ? new cliProgress.SingleBar({
      stream: stderr as NodeJS.WriteStream,
      format: '{bar} {percentage}% | {done}/{size} MB | {lps} lines/s | ETA {eta_formatted} | {file}',
      hideCursor: true, etaBuffer: 20,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  const started = process.hrtime.bigint();
  const summary: IngestSummary = { db: opts.db, files: [], lines: 0, records: 0, errors: {}, bytes: 0, seconds: 0, linesPerSecond: 0, maxRssMB: 0 };
  let done = 0;
  let linesSoFar = 0;
  bar?.start(Math.max(total, 1), 0, { done: '0.0', size: (total / 1e6).toFixed(1), lps: 0, file: '' });
  try {
    for (const file of files) {
      const size = (await stat(file)).size;
      let fileDone = 0;
      const r: IntakeResult = await intakeFile(index, file, {
        ...opts,
        // Parsing on its own thread (CLAW_TRACE_PARSE_THREAD=0: on this one, for comparison).
        parseThread: process.env.CLAW_TRACE_PARSE_THREAD !== '0',
        onProgress: (bytes) => {
          // A .gz reports decompressed bytes: scale them to the file's share of the bar.
          fileDone = Math.min(size, fileDone + bytes);
          const secs = Number(process.hrtime.bigint() - started) / 1e9;
          bar?.update(done + fileDone, { done: ((done + fileDone) / 1e6).toFixed(1), lps: Math.round((linesSoFar) / Math.max(secs, 1e-3)), file: terminalSafe(file, 40) });
        },
      });
      done += size;
      linesSoFar += r.lines;
      summary.files.push({ file: r.file, format: r.format, lines: r.lines, records: r.records, errors: r.errors, skipped: r.skipped, gap: r.gap !== undefined || undefined });
      summary.lines += r.lines;
      summary.records += r.records;
      summary.bytes += r.bytes;
      for (const [k, v] of Object.entries(r.errors)) summary.errors[k] = (summary.errors[k] ?? 0) + v!;
      bar?.update(done, { done: (done / 1e6).toFixed(1) });
    }
  } catch (e) {
    await exporting?.stop().catch(() => undefined);
    throw e;
  } finally {
    bar?.stop();
    if (bulk) {
      if (tty) stderr.write('building the request-ID index...\n');
      index.endBulkLoad();
    }
    index.close();
  }
  if (bulk) exporting = await startExport(exportFrom);
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.linesPerSecond = Math.round(summary.lines / Math.max(summary.seconds, 1e-6));
  summary.exportedBy = exportedBy;
  if (bulkJournal) summary.bulk = { journal: bulkJournal };
  if (exporting && exportConfig) {
    if (tty) stderr.write(`exporting traces to ${terminalSafe(exportConfig.url, 300)} ...\n`);
    await exporting.drain(opts.exportWaitMs ?? 60_000);
    const s = await exporting.stop(); // the figures at the stop: what was delivered and what still waits
    summary.export = { url: exportConfig.url, exportedTraces: s.exportedTraces, deliveredSpans: s.deliveredSpans, waitingSpans: s.spans, droppedSpans: s.droppedSpans, lastError: s.lastError };
  }
  summary.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  if (opts.json) {
    stdout.write(JSON.stringify(summary) + '\n');
  } else {
    for (const f of summary.files) {
      const what = f.skipped === 'empty' ? 'empty' : f.skipped === 'unknown-format'
        ? 'skipped: no known format reads its first lines (name one with --format)'
        : `${f.format}, ${f.lines} new lines, ${f.records} records${Object.keys(f.errors).length ? `, unreadable: ${Object.entries(f.errors).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}${f.gap ? ', truncated in place since the last read (lines may be missing)' : ''}`;
      stderr.write(`${terminalSafe(f.file, 300)}: ${what}\n`);
    }
    const errs = Object.entries(summary.errors).map(([k, v]) => `${k} ${v}`).join(', ');
    const x = summary.export;
    if (x) {
      stderr.write(`exported ${x.exportedTraces} traces to ${terminalSafe(x.url, 300)}: ${x.deliveredSpans} spans delivered` +
        (x.waitingSpans ? `, ${x.waitingSpans} still waiting in the outbox (${terminalSafe(x.lastError ?? 'not accepted in time', 300)}); the agent or the next ingest delivers them` : '') +
        (x.droppedSpans ? `; ${x.droppedSpans} dropped over the outbox cap` : '') + '\n');
    }
    stderr.write(`ingested ${summary.lines} lines (${summary.records} records${errs ? `; unreadable: ${errs}` : ''}) from ${files.length} files into ${terminalSafe(opts.db, 300)} in ${summary.seconds.toFixed(2)} s, ${summary.linesPerSecond.toLocaleString('en-US')} lines/s\n`);
  }
  return ingestExitCode(summary);
}

/**
 * 0 when something was read (or nothing was new: a second run); 2 when no file could be read
 * because no format reads it (as `parse` says for the same file); 1 when files had lines but not
 * one became a record (the wrong --format or --log-format?).
 */
export function ingestExitCode(s: Pick<IngestSummary, 'files' | 'lines' | 'records'>): number {
  if (s.records > 0 || s.files.length === 0) return 0;
  if (s.files.every((f) => f.skipped === 'unknown-format' || f.skipped === 'empty') && s.files.some((f) => f.skipped === 'unknown-format')) return 2;
  return s.lines > 0 ? 1 : 0;
}
