/**
 * Bytes to lines with exact byte offsets. Works on bytes, not decoded text, so that:
 * - every line knows where it starts in the file (checkpoints and provenance need byte offsets);
 * - invalid UTF-8 is noticed per line (replaced by U+FFFD and flagged, never fatal);
 * - a line longer than the limit is skipped to its newline without being held in memory.
 * Gzip files (by their magic bytes) are read through zlib.
 */

import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { pipeline, Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface Line {
  text: string;
  /** Byte offset of the line's first byte (in the decompressed stream for .gz). */
  offset: number;
  /** 1-based. */
  lineNo: number;
  /** Byte length without the newline. */
  bytes: number;
  /** Byte offset where the next line starts (after this one's newline). */
  next: number;
  invalidUtf8: boolean;
  /** Over the limit: `text` is empty and `bytes` says how long the line was. */
  tooLong: boolean;
  /** The file ended without a newline after this line (it may still be being written). */
  partial: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 256 * 1024;

export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Bytes per chunk the reader takes from a file or from gunzip. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** A read buffer kept for the next `fileChunks` (one at a time; a reader beside it makes its own). */
let spare: Buffer | undefined;

/**
 * The bytes of an open file from `start` to its end, in chunks read into one buffer, which the
 * next reader takes over when this one is done. A file stream (`createReadStream`) allocates
 * `highWaterMark` bytes for every read, the last one that finds the end too, and copies a short
 * read out of it: a live agent's ~7 reads a second of a few hundred KiB each left ~3.5 MB/s of
 * 256 KiB blocks for the garbage collector and glibc's malloc.
 */
export async function* fileChunks(fh: FileHandle, start: number): AsyncGenerator<Buffer> {
  const buf = spare ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
  spare = undefined;
  try {
    for (let pos = start; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    spare = buf;
  }
}

/**
 * gunzip handing on chunks as large as a file read's: with zlib's default 16 KiB, a .gz backfill
 * read and parsed 1M `combined` lines at 360,000-470,000 lines/s of CPU, at 256 KiB 520,000-590,000
 * (`claw_json`: 100,000-110,000, then 140,000-180,000): fewer chunks through the stream and
 * the line splitter, fewer lines cut at a chunk's end.
 */
export function gunzip(): Transform {
  return createGunzip({ chunkSize: READ_CHUNK_BYTES });
}

/** The name that reads standard input (`claw-trace parse -`). */
export const STDIN = '-';

/** Standard input, plain or gzip (told by its first bytes, which are then read as part of it). */
async function openStdin(stdin: NodeJS.ReadableStream): Promise<Readable> {
  const chunks = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await chunks.next();
  const first = head.done ? undefined : head.value;
  async function* all(): AsyncGenerator<Buffer> {
    if (first === undefined) return;
    yield first;
    for (let n = await chunks.next(); !n.done; n = await chunks.next()) yield n.value;
  }
  const raw = Readable.from(all(), { objectMode: false });
  return first !== undefined && first[0] === 0x1f && first[1] === 0x8b ? chain(raw, gunzip()) : raw;
}

/**
 * `source` through `steps`, as one stream whose reader sees every error: with `.pipe()`, an error
 * of the source (the file deleted between its stat and its open: Caddy gzips and removes rolled
 * files at once) has no listener and ends the process.
 */
export function chain(source: Readable, ...steps: Transform[]): Readable {
  if (steps.length === 0) return source;
  // The errors reach the last stream, which the caller reads; nothing else to do here.
  return pipeline([source, ...steps], () => {}) as unknown as Readable;
}

/** A byte stream of a log file, decompressed when it is gzip. */
export async function openLogStream(path: string): Promise<Readable> {
  if (path === STDIN) return openStdin(process.stdin);
  // The stream is made after the check: made before, a file gone by the check (it throws) left
  // a stream nobody reads, whose own open then failed with no listener and ended the process.
  const gzip = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  return gzip ? chain(raw, gunzip()) : raw;
}

function makeLine(buf: Buffer, offset: number, lineNo: number, partial: boolean): Line {
  const next = offset + buf.length + (partial ? 0 : 1);
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0d) end--; // CRLF
  const body = end === buf.length ? buf : buf.subarray(0, end);
  const valid = isUtf8(body);
  return {
    text: body.toString('utf8'),
    offset,
    lineNo,
    bytes: body.length,
    next,
    invalidUtf8: !valid,
    tooLong: false,
    partial,
  };
}

/** A "line" with no newline in `giveUpBytes`: not a line-oriented text (an endless `/dev/zero`). */
export class NoNewlineError extends Error {
  override name = 'NoNewlineError';
  constructor(
    readonly offset: number,
    readonly lineNo: number,
    readonly bytes: number,
  ) {
    super(
      `line ${lineNo} at byte ${offset}: no newline in ${Math.round(bytes / 1024 / 1024)} MiB: not a line-oriented log`,
    );
  }
}

/**
 * Lines in batches, one batch per chunk read: awaiting once per chunk rather than once per line
 * is what lets a backfill go at the parser's speed. A chunk of `stream` is read only until the
 * next one is asked for: a source may read each chunk into the same memory (`fileChunks`).
 */
export async function* readLineBatches(
  stream: AsyncIterable<Buffer | string>,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  giveUpBytes = Infinity,
): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside a line that is over the limit
  let lineStart = 0; // byte offset of the current line
  let lineNo = 1;
  let pos = 0; // byte offset of the current chunk
  // A line that lies whole in an ASCII chunk (nginx escapes every other byte: most logs) is
  // decoded from the chunk as latin1 (the same text for ASCII): no Buffer object, UTF-8 check or
  // UTF-8 decode per line, a third of reading and splitting a `combined` line. (Slicing one
  // decoded chunk instead made `claw_json` slower: V8's sliced strings.)
  const wholeMax = Math.min(maxLineBytes, giveUpBytes);
  for await (const c of stream) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    const batch: Line[] = [];
    const ascii = isAscii(chunk);
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      const end = nl < 0 ? chunk.length : nl;
      const piece = end - from;
      if (ascii && nl >= 0 && pendingBytes === 0 && !skipping && piece <= wholeMax) {
        const body = piece > 0 && chunk[end - 1] === 0x0d ? end - 1 : end; // CRLF
        batch.push({
          text: chunk.toString('latin1', from, body),
          offset: lineStart,
          lineNo,
          bytes: body - from,
          next: pos + nl + 1,
          invalidUtf8: false,
          tooLong: false,
          partial: false,
        });
        lineNo++;
        lineStart = pos + nl + 1;
        from = nl + 1;
        continue;
      }
      if (!skipping && pendingBytes + piece > maxLineBytes) {
        skipping = true;
        pending = [];
      }
      if (!skipping && piece > 0) pending.push(chunk.subarray(from, end));
      pendingBytes += piece;
      if (pendingBytes > giveUpBytes) throw new NoNewlineError(lineStart, lineNo, pendingBytes);
      if (nl < 0) {
        // The line goes on in the next chunk: keep a copy of its piece of this one (a source may
        // read the next chunk into the same memory: `fileChunks`).
        if (!skipping && piece > 0) pending[pending.length - 1] = Buffer.from(pending[pending.length - 1]!);
        break;
      }
      if (skipping) {
        batch.push({
          text: '',
          offset: lineStart,
          lineNo,
          bytes: pendingBytes,
          next: pos + nl + 1,
          invalidUtf8: false,
          tooLong: true,
          partial: false,
        });
      } else {
        const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        batch.push(makeLine(buf, lineStart, lineNo, false));
      }
      lineNo++;
      lineStart = pos + nl + 1;
      pending = [];
      pendingBytes = 0;
      skipping = false;
      from = nl + 1;
    }
    pos += chunk.length;
    if (batch.length > 0) yield batch;
  }
  if (pendingBytes > 0) {
    if (skipping)
      yield [
        {
          text: '',
          offset: lineStart,
          lineNo,
          bytes: pendingBytes,
          next: pos,
          invalidUtf8: false,
          tooLong: true,
          partial: true,
        },
      ];
    else yield [makeLine(Buffer.concat(pending, pendingBytes), lineStart, lineNo, true)];
  }
}

/** Line by line, for callers that do not need the speed. */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(stream, maxLineBytes)) yield* batch;
}
