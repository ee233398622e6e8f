/**
 * Read one log file from its checkpoint to its end into the index. The one intake mechanism:
 * `claw-trace ingest` calls it per file, and the live tailer calls it when a file changes.
 *
 * - Identity: the file row with the same inode and head, or (an archive, a renamed copy) the same
 *   head anywhere; its checkpoint says where reading resumes, also inside a .gz.
 * - copytruncate: same inode, other head: a gap is recorded on the old row and the new content
 *   starts a new row from byte 0.
 * - A partial last line is left for the next read unless the file is final (an archive).
 * - Batches of `batchLines` (default 1,500; with `batchBytes`, up to 4x that many until they
 *   cover that much log) commit with their checkpoint in one transaction.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { detectFormat, type LogRecord, type ParseErrorReason, type ParserOptions } from '../../parsers/index.js';
import { DEFAULT_MAX_LINE_BYTES, fileChunks, READ_CHUNK_BYTES } from '../read/lineReader.js';
import type { FileRow, RecordFields, RecordIndex } from '../store/recordIndex.js';
import { FINGERPRINT_BYTES, type FileIdentity, identify, identifyHandle } from './fileIdentity.js';
import { type BatchLimits, type ParsedBatch, parseLines, streamFrom } from './parseLines.js';
import { PARSE_THREAD_MIN_BYTES, type PreparedBatch, parseInThread } from './parseThread.js';

export interface IntakeOptions extends ParserOptions {
  format?: string;
  region?: string;
  maxLineBytes?: number;
  batchLines?: number;
  /**
   * A batch also waits for this many bytes of log (up to MAX_BATCH_FACTOR x `batchLines` lines):
   * short lines commit in fewer, larger transactions (a backfill: BACKFILL_BATCH_BYTES).
   */
  batchBytes?: number;
  /** Treat a last line without a newline as complete (archives always are). */
  final?: boolean;
  /** Called after each committed batch with the bytes it covered. */
  onProgress?: (bytes: number) => void;
  /**
   * Called after each committed batch with its records (the live path: metrics, latency). They
   * are the intake's parse: what the index stores (source, time, IDs, connection, status, upgrade,
   * error kind) is set; other fields may not be.
   */
  onCommit?: (records: LogRecord[]) => void;
  /**
   * Where to begin in a file the index does not know yet: `start` (backfill, and files that
   * appear while running) or `end` (an agent's first start: only what is written from now on).
   */
  position?: 'start' | 'end';
  /**
   * Read the file only if the index knows its content already (by inode and head, or by head):
   * a rotated-away file looked for by the tailer, never an unrelated file next to it.
   */
  knownOnly?: boolean;
  /**
   * Parse on a thread of its own while this one writes (a backfill: `ingest`). Only for files with
   * at least PARSE_THREAD_MIN_BYTES to read and without `onCommit` (records cross as plain data).
   */
  parseThread?: boolean;
  /** Test hook: called between identifying the open file and reading it. */
  afterIdentify?: () => void | Promise<void>;
}

/** A copytruncate seen: the content the index was reading at this path and inode was truncated. */
export interface IntakeGap {
  /** The row of the old content (where the lines between copy and truncate are missing). */
  fileId: number;
  /** Where its checkpoint stood, in the old content. */
  offset: number;
  /** The path it was read at. */
  path: string;
}

export interface IntakeResult {
  file: string;
  format: string;
  /** Lines read in this call. */
  lines: number;
  records: number;
  errors: Partial<Record<ParseErrorReason, number>>;
  bytes: number;
  /** Where the checkpoint now stands. */
  offset: number;
  skipped?: 'empty' | 'unknown-format' | 'unknown-file';
  /** The file was truncated in place since the last read (copytruncate). */
  gap?: IntakeGap;
  dev: number | null;
  ino: number | null;
  /** The file's size when it was opened (compressed, for an archive). */
  size: number;
  /** The index row the content was read into (absent when skipped). */
  fileId?: number;
  /** Read and parsed on a thread of its own (`parseThread`). */
  parseThread?: true;
}

/** Byte offset just after the last newline of a file, and how many lines lie before it. */
async function endOfLastLine(fh: FileHandle): Promise<{ offset: number; lines: number }> {
  let offset = 0;
  let lines = 0;
  let pos = 0;
  for await (const chunk of fh.createReadStream({
    start: 0,
    highWaterMark: 1 << 20,
    autoClose: false,
  }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
      lines++;
      offset = pos + i + 1;
    }
    pos += chunk.length;
  }
  return { offset, lines };
}

/** The open file's bytes from `offset` (of the decompressed content, for an archive); the handle stays open. */
function openFrom(fh: FileHandle, gzip: boolean, offset: number): AsyncIterable<Buffer> {
  if (!gzip) return fileChunks(fh, offset);
  return streamFrom(
    (start) => fh.createReadStream({ start, highWaterMark: READ_CHUNK_BYTES, autoClose: false }),
    gzip,
    offset,
  );
}

const DETECT_LINES = 50;

/**
 * Intakes of one file never overlap within a process (two paths can name one inode during a
 * rename, and a copy has the content of its original): both would find no row and make two, or
 * read from the same checkpoint. Keyed by inode, and by head for archives.
 */
const locks = new WeakMap<RecordIndex, Map<string, Promise<void>>>();
async function lock(index: RecordIndex, keys: string[]): Promise<() => void> {
  let held = locks.get(index);
  if (!held) locks.set(index, (held = new Map()));
  for (;;) {
    const busy = keys.map((k) => held.get(k)).filter((p) => p !== undefined);
    if (busy.length === 0) break;
    await Promise.all(busy);
  }
  let release!: () => void;
  const p = new Promise<void>((r) => {
    release = r;
  });
  for (const k of keys) held.set(k, p);
  return () => {
    for (const k of keys) if (held.get(k) === p) held.delete(k);
    release();
  };
}

/**
 * Whether the row's content is still at its path under its inode (so a copy of it found
 * elsewhere, logrotate's copy before the truncate, must not take the row away from it).
 */
async function stillAtItsPlace(row: FileRow): Promise<boolean> {
  if (row.dev === null || row.ino === null) return false;
  const s = await stat(row.path).catch(() => undefined);
  if (!s || s.dev !== row.dev || s.ino !== row.ino) return false;
  const there = await identify(row.path).catch(() => undefined);
  return (
    there !== undefined &&
    there.dev === row.dev &&
    there.ino === row.ino &&
    there.head.length >= row.fp_len &&
    there.headHash(row.fp_len) === row.fp_hash
  );
}

/**
 * The original of a row is still at its path: its inode there, holding the content or less than
 * was read of it (truncated by a copytruncate). The same inode number in a file born after the
 * row's last read is another file (the inode freed and given again), not the original.
 */
async function originalAtItsPlace(row: FileRow): Promise<boolean> {
  if (row.dev === null || row.ino === null) return false;
  const s = await stat(row.path).catch(() => undefined);
  if (!s || s.dev !== row.dev || s.ino !== row.ino) return false;
  if (s.birthtimeMs > 0) return s.birthtimeMs <= row.updated_at;
  return s.size < row.offset || (await stillAtItsPlace(row)); // no birth time kept here
}

export async function intakeFile(index: RecordIndex, file: string, opts: IntakeOptions = {}): Promise<IntakeResult> {
  // One open: identity and bytes come from the same file, whatever is renamed meanwhile.
  const fh = await open(file, 'r');
  try {
    const id = await identifyHandle(fh);
    if (id.head.length === 0) return { ...nothingRead(file, id), skipped: 'empty' };
    const keys = [id.gzip || id.dev === null ? `h:${id.headHash(id.head.length)}` : `i:${id.dev}:${id.ino}`];
    const unlock = await lock(index, keys);
    try {
      return await intakeOpen(index, file, fh, id, opts);
    } finally {
      unlock();
    }
  } finally {
    await fh.close();
  }
}

/** The result of a file before any line of it is read. */
function nothingRead(file: string, id: FileIdentity): IntakeResult {
  return {
    file,
    format: 'unknown',
    lines: 0,
    records: 0,
    errors: {},
    bytes: 0,
    offset: 0,
    dev: id.dev,
    ino: id.ino,
    size: id.size,
  };
}

async function intakeOpen(
  index: RecordIndex,
  file: string,
  fh: FileHandle,
  id: FileIdentity,
  opts: IntakeOptions,
): Promise<IntakeResult> {
  const result = nothingRead(file, id);
  await opts.afterIdentify?.();
  const headLen = id.head.length;

  let row: FileRow | undefined = index.findFile(id.dev, id.ino, id.headHash, headLen);
  if (row === undefined && opts.knownOnly) return { ...result, skipped: 'unknown-file' };
  if (!id.gzip && row === undefined && id.dev !== null && id.ino !== null) {
    // Same inode at the same path, other head: truncated and rewritten in place (copytruncate).
    // A row of this inode read at another path is a recycled inode, not a loss.
    const prior = index.fileAtPathWithInode(file, id.dev, id.ino);
    // A file created after the row was last read cannot be that file truncated: its inode was
    // recycled (the old file renamed away, deleted, the inode given to a new file at this path).
    const bornAfter = id.birthtimeMs > 0 && prior !== undefined && id.birthtimeMs > prior.updated_at;
    if (prior && !bornAfter) result.gap = { fileId: prior.id, offset: prior.offset, path: prior.path };
  }
  if (row === undefined) {
    let format = opts.format;
    if (format === undefined) {
      const text = id.head.toString('utf8').split('\n');
      if (id.head.length === FINGERPRINT_BYTES) text.pop(); // the cut last line
      const found = detectFormat(text.slice(0, DETECT_LINES), opts);
      if (!found) return { ...result, gap: undefined, skipped: 'unknown-format' };
      format = found.format;
    }
    const options: ParserOptions = {
      logFormat: opts.logFormat,
      zone: opts.zone,
      requestIdHeader: opts.requestIdHeader,
      durationFormat: opts.durationFormat,
    };
    const add = {
      path: file,
      dev: id.gzip ? null : id.dev,
      ino: id.gzip ? null : id.ino,
      fpLen: headLen,
      fpHash: id.headHash(headLen),
      format,
      region: opts.region ?? null,
      options,
    };
    // The gap and the new content's row in one transaction: a kill between them cannot count it twice.
    row = index.transaction(() => {
      if (result.gap) index.recordGap(result.gap.fileId);
      return index.addFile(add);
    });
    result.fileId = row.id;
    if (opts.position === 'end') {
      // An archive never grows: its end is its uncompressed size (line numbers stay unknown, 0).
      const end = id.gzip ? { offset: id.gzipSize ?? 0, lines: 0 } : await endOfLastLine(fh);
      index.commitBatch(row.id, [], [], { offset: end.offset, lineNo: end.lines, linesCut: 0 });
      return { ...result, format, offset: end.offset };
    }
  } else if (id.gzip && row.path !== file && !(await originalAtItsPlace(row))) {
    // The content now lives in an archive (the plain file was compressed and removed): the row
    // says so, and its old inode, free to be recycled, is no longer taken for it.
    index.moveFile(row.id, { path: file, dev: null, ino: null, fpLen: row.fp_len, fpHash: row.fp_hash });
  } else if (!id.gzip && (row.path !== file || row.dev !== id.dev || row.ino !== id.ino || row.fp_len < headLen)) {
    // A rename, or a copy (logrotate's copytruncate) read while the original's inode is still at
    // its path, holding the content or already truncated: then the row stays with the original
    // (whose next read finds the truncate, a gap), and the copy is read from the checkpoint.
    const copy = (row.dev !== id.dev || row.ino !== id.ino) && (await originalAtItsPlace(row));
    if (!copy)
      index.moveFile(row.id, { path: file, dev: id.dev, ino: id.ino, fpLen: headLen, fpHash: id.headHash(headLen) });
  }
  result.fileId = row.id;
  // The original and its copy are two inodes with one row: one read of a row at a time, from
  // its checkpoint as it is once the other read has committed.
  const unlock = await lock(index, [`r:${row.id}`]);
  try {
    return await readRow(index, fh, id, index.fileById(row.id)!, result, opts);
  } finally {
    unlock();
  }
}

async function readRow(
  index: RecordIndex,
  fh: FileHandle,
  id: FileIdentity,
  row: FileRow,
  result: IntakeResult,
  opts: IntakeOptions,
): Promise<IntakeResult> {
  result.format = row.format;
  result.offset = row.offset;
  // Nothing new: a plain file no longer than the checkpoint; an archive whose trailer says its
  // uncompressed size is the checkpoint (so it is not decompressed on every poll).
  if (id.gzip ? id.gzipSize === row.offset % 2 ** 32 : id.size <= row.offset) return result;

  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const final = opts.final ?? id.gzip;
  // 1,000-2,000 lines per commit measured fastest (5,000: 15% slower, the held lines outlive
  // the young generation and cost full GCs) and keeps memory lower.
  const batchLines = opts.batchLines ?? 1500;
  const checkpoint = (b: ParsedBatch<RecordFields> | PreparedBatch) => ({
    offset: b.offset,
    lineNo: b.lineNo,
    linesCut: b.cut,
  });
  const counted = (b: ParsedBatch<RecordFields> | PreparedBatch) => {
    const records = 'prepared' in b ? b.records : b.lines.length;
    opts.onProgress?.(b.offset - b.batchStart);
    result.bytes += b.offset - b.batchStart;
    result.records += records;
    result.lines += records + b.errors.length;
    for (const e of b.errors) result.errors[e.error.reason] = (result.errors[e.error.reason] ?? 0) + 1;
  };
  const commit = (b: ParsedBatch<RecordFields>) => {
    index.commitBatch(row.id, b.lines, b.errors, checkpoint(b));
    counted(b);
  };
  // From the parse thread: the batches waiting when the writer is free, in one transaction.
  const commitPrepared = (batches: PreparedBatch[]) => {
    index.commitPrepared(
      row.id,
      batches.map((b) => ({ d: b.prepared, errors: b.errors, cp: checkpoint(b) })),
    );
    for (const b of batches) counted(b);
  };
  const o: BatchLimits = { maxLineBytes, final, batchLines, batchBytes: opts.batchBytes };
  // An archive's lines are several times its size (gzip of logs: 5-20x): 8x as an estimate.
  const left = id.gzip ? id.size * 8 : id.size - row.offset;
  const threaded = opts.parseThread === true && !opts.onCommit && left >= PARSE_THREAD_MIN_BYTES;
  if (threaded) result.parseThread = true;
  const end = threaded
    ? await parseInThread(fh.fd, id.gzip, row.id, row, o, commitPrepared)
    : await parseLines(openFrom(fh, id.gzip, row.offset), row, o, (b) => {
        commit(b);
        if (opts.onCommit && b.lines.length > 0) opts.onCommit(b.lines.map((l) => l.record));
      });
  result.offset = end.offset;
  return result;
}
