/**
 * The intake's read-and-parse loop, shared by the reading thread (`readRow` in intakeFile.ts)
 * and the parse thread of a backfill (parseWorker.ts): lines from a checkpoint, parsed for what
 * the index stores, handed on in batches that each end at a line start (their checkpoint).
 */
import { createReadStream } from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import { type LogRecord, ParseError, type ParserOptions, parserFor } from '../../parsers/index.js';
import { chain, gunzip, type Line, READ_CHUNK_BYTES, readLineBatches } from '../read/lineReader.js';
import type { BatchError, RecordFields } from '../store/recordIndex.js';

/** Drops the first `n` bytes of a stream (resuming inside a decompressed archive). */
export function skipBytes(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (left >= chunk.length) {
        left -= chunk.length;
        cb();
        return;
      }
      const rest = left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
      cb(null, rest);
    },
  });
}

/** A stream of a file from `offset` (of the decompressed content, for an archive), given a reader of its raw bytes from a start. */
export function streamFrom(raw: (start: number) => Readable, gzip: boolean, offset: number): Readable {
  if (!gzip) return raw(offset);
  return offset > 0 ? chain(raw(0), gunzip(), skipBytes(offset)) : chain(raw(0), gunzip());
}

/** A stream of an open file descriptor (any thread of the process may read it; it stays open). */
export function streamOfFd(fd: number, gzip: boolean, offset: number): Readable {
  return streamFrom(
    (start) => createReadStream('', { fd, start, highWaterMark: READ_CHUNK_BYTES, autoClose: false }),
    gzip,
    offset,
  );
}

/**
 * When a batch is full: at `batchLines` lines; with `batchBytes`, not before it covers that many
 * bytes of log either, up to MAX_BATCH_FACTOR x `batchLines` lines.
 */
export interface BatchLimits {
  maxLineBytes: number;
  final: boolean;
  batchLines: number;
  batchBytes?: number;
}
export const MAX_BATCH_FACTOR = 4;

/** A batch of parsed lines: LogRecords on the thread that parsed them, their stored fields after crossing threads. */
export interface ParsedBatch<R extends RecordFields = LogRecord> {
  lines: { record: R; raw: string }[];
  errors: BatchError[];
  /** The checkpoint after the batch: byte offset (a line start) and lines read. */
  offset: number;
  lineNo: number;
  /** Lines over the length limit in the batch. */
  cut: number;
  /** Where the batch began (bytes covered: offset - batchStart). */
  batchStart: number;
}

export interface ParseFrom {
  offset: number;
  line_no: number;
  format: string;
  /** The file's parser options as stored (JSON). */
  options: string;
}

/**
 * Reads and parses from the row's checkpoint to the end of `stream`, calling `emit` with every
 * full batch (BatchLimits; and once at the end if anything moved). A partial last line is left for
 * the next read unless `final`. Returns the checkpoint reached.
 */
export async function parseLines(
  stream: AsyncIterable<Buffer>,
  row: ParseFrom,
  o: BatchLimits,
  emit: (b: ParsedBatch) => void | Promise<void>,
): Promise<{ offset: number; lineNo: number }> {
  // Lookups parse the stored line in full; here only what the index's columns need.
  const parse = parserFor(
    row.format,
    JSON.stringify({ ...(JSON.parse(row.options) as ParserOptions), maxLineChars: o.maxLineBytes, indexOnly: true }),
  );
  let b: ParsedBatch = {
    lines: [],
    errors: [],
    offset: row.offset,
    lineNo: row.line_no,
    cut: 0,
    batchStart: row.offset,
  };
  const take = (line: Line): boolean => {
    if (line.partial && !o.final) return false; // still being written: the next read takes it whole
    const at = row.offset + line.offset;
    const no = row.line_no + line.lineNo;
    let r: LogRecord | ParseError;
    if (line.tooLong) {
      b.cut++;
      r = new ParseError('line-too-long', `${line.bytes} bytes, over the limit of ${o.maxLineBytes}`);
    } else {
      r = parse(line.text);
    }
    if (r instanceof ParseError) {
      b.errors.push({ error: r, offset: at, lineNo: no, line: line.text });
    } else {
      r.offset = at;
      r.lineNo = no;
      b.lines.push({ record: r, raw: line.text });
    }
    b.offset = row.offset + line.next;
    b.lineNo = no;
    return true;
  };
  read: for await (const batch of readLineBatches(stream, o.maxLineBytes)) {
    for (const line of batch) {
      if (!take(line)) break read;
      const n = b.lines.length + b.errors.length;
      if (
        n >= o.batchLines &&
        (o.batchBytes === undefined || b.offset - b.batchStart >= o.batchBytes || n >= o.batchLines * MAX_BATCH_FACTOR)
      ) {
        await emit(b);
        b = { lines: [], errors: [], offset: b.offset, lineNo: b.lineNo, cut: 0, batchStart: b.offset };
      }
    }
  }
  if (b.lines.length + b.errors.length > 0 || b.offset !== b.batchStart) await emit(b);
  return { offset: b.offset, lineNo: b.lineNo };
}
