/**
 * The raw lines, stored compressed in blocks (schema 5).
 *
 * Why: the raw line was most of the index (1 KB of a claw_json row's ~1.3 KB) and every byte of
 * it was written twice (to the WAL, then at the checkpoint). A commit's lines of one file go in
 * blocks of up to BLOCK_LINES consecutive lines, compressed together: lines of one format repeat
 * their keys and values, so a block is a fraction of its lines (measured in bench/layout.ts and
 * `bench:ingest`). A record row keeps the columns lookups filter on and an empty `raw`; a reader
 * gets its line from the block whose first line is at or before it (`blocks.first_id`, the same
 * file-and-offset id as `records.id`). Rows written before schema 5 keep their line inline.
 *
 * Payload before compression: u32 n; n u32 offsets (from the first line's); n u32 byte lengths; the
 * lines' UTF-8 bytes back to back. A line is found by its offset, never by position, so a block
 * that does not hold a record's offset yields nothing rather than another line. Since schema 6
 * (a block with a `line_no`) the lengths are followed by n u32 line numbers (from the first
 * line's) and a bitmap of the lines kept without a records row (rowless.ts), ceil(n / 8) bytes,
 * and the payload is compressed with Brotli at quality 1 and a 64 KiB window (schema 5: deflate
 * level 1). Measured on 64-line blocks (Node 20, CPU time): combined lines 0.54 us/line at 0.080
 * of their size against deflate's 1.47 us at 0.092; claw_json 1.49 us at 0.041 against 1.88 us
 * at 0.051. (zstd is faster still, but only from Node 22.15.)
 */
import { inflateRawSync } from 'node:zlib';
import { compressBlockPayload, decompressBlock } from './brotli.js';
import { recordId } from './recordId.js';
import type Database from './sqlite.js';

/** Lines per block: a lookup inflates whole blocks (64 lines of 1 KB: ~50 us), a larger block compresses little better. */
export const BLOCK_LINES = 64;
/** Raw characters per block at most (long lines: a block stays small to inflate; up to 3x in UTF-8 bytes). */
const BLOCK_BYTES = 256 * 1024;
/** A block's lines lie within 4 GiB of its first (offsets are u32; a skipped over-long line can be larger). */
const MAX_SPAN = 0xffff_ffff;
/**
 * The longest log-time span of a block: a block is cut where its lines would span more, so a
 * window's scan of blocks is bounded at both ends (a block meeting [from, to) starts after
 * from - MAX_BLOCK_SPAN_MS) however large the index or quiet the log.
 */
export const MAX_BLOCK_SPAN_MS = 60_000;
/** Decoded blocks kept per connection (a window's rows come from a few blocks, read again and again). */
const CACHE_BLOCKS = 32;

export interface BlockLine {
  /** Byte offset in its file (records.id is file << 40 | offset). */
  offset: number;
  time: number;
  raw: string;
  lineNo: number;
  /** Kept without a records row (rowless.ts): the block is where it lives. */
  rowless: boolean;
}

export interface Decoded {
  /** Exact ids (file << 40 | offset): past file 8191 they exceed 2^53, where a JS number would round. */
  firstId: bigint;
  lastId: bigint;
  /** Offsets from the first line's, ascending. */
  offsets: Uint32Array;
  lines: string[];
  /** Line numbers (schema 6 blocks; undefined in older ones, whose lines all have rows). */
  lineNos: Float64Array | undefined;
  /** Which lines have no records row (schema 6 blocks), one bit each. */
  rowless: Uint8Array | undefined;
}

/** A row to fill: its file and byte offset make its exact id. */
export interface RawRow {
  file_id: number;
  offset: number;
  raw: string;
}

/** A payload buffer kept for the next block compressed on this thread (`encodeBlock`). */
let scratch: Buffer | undefined;
/** A payload larger than this (a block of very long lines) is not kept for the next block. */
const KEEP_SCRATCH_BYTES = 1024 * 1024;

/**
 * A block's payload before compression (schema 6 layout: with line numbers and the rowless
 * bitmap). `reuse`: written into a buffer this thread reuses for the next block's (it must be
 * compressed before then), not one of its own: a 64-line `claw_json` block is ~60 KiB, and the
 * agent makes ~80 a second at 5,000 lines/s, each otherwise an allocation of its own (Node pools
 * only Buffers under 4 KiB) left to the garbage collector and malloc.
 */
export function blockPayload(lines: readonly BlockLine[], reuse = false): Buffer {
  const n = lines.length;
  const first = lines[0]!;
  const headBytes = 4 + 12 * n + ((n + 7) >> 3);
  let bodyBytes = 0;
  const lengths = new Array<number>(n);
  for (let i = 0; i < n; i++) bodyBytes += lengths[i] = Buffer.byteLength(lines[i]!.raw, 'utf8');
  // One buffer, the lines written straight into it (no Buffer per line, no concat).
  const size = headBytes + bodyBytes;
  let buf: Buffer;
  if (!reuse || size > KEEP_SCRATCH_BYTES) buf = Buffer.allocUnsafe(size);
  else {
    if (scratch === undefined || scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 64 * 1024));
    buf = scratch.subarray(0, size);
  }
  buf.fill(0, 0, headBytes);
  buf.writeUInt32LE(n, 0);
  let at = headBytes;
  for (let i = 0; i < n; i++) {
    const l = lines[i]!;
    const len = lengths[i]!;
    // As many bytes as characters: ASCII only, whose UTF-8 is its Latin-1 (copied, not encoded).
    buf.write(l.raw, at, len, len === l.raw.length ? 'latin1' : 'utf8');
    at += len;
    buf.writeUInt32LE(l.offset - first.offset, 4 + 4 * i);
    buf.writeUInt32LE(len, 4 + 4 * n + 4 * i);
    buf.writeUInt32LE(l.lineNo - first.lineNo, 4 + 8 * n + 4 * i);
    if (l.rowless) buf[4 + 12 * n + (i >> 3)]! |= 1 << (i & 7);
  }
  return buf;
}

/** Compresses the blocks that still carry their payload (a parse thread left it to the writer). */
export function compressBlocks(blocks: PreparedBlock[]): void {
  for (const b of blocks)
    if (b.data === undefined) {
      b.data = compressBlockPayload(b.payload!); // brotli.ts: one native encoder per thread
      b.payload = undefined;
    }
}

export function encodeBlock(lines: readonly BlockLine[]): Buffer {
  return compressBlockPayload(blockPayload(lines, true));
}

/** `firstLineNo`: the block's `line_no` (null: a schema-5 block, no line numbers, every line has a row). */
export function decodeBlock(firstId: bigint, lastId: bigint, data: Buffer, firstLineNo: number | null = null): Decoded {
  const v6 = firstLineNo !== null;
  // A view of this thread's inflate buffer (brotli.ts): everything kept below is copied out of it.
  const buf = v6 ? decompressBlock(data) : inflateRawSync(data);
  const n = buf.readUInt32LE(0);
  const offsets = new Uint32Array(n);
  const lines: string[] = new Array(n);
  const lineNos = v6 ? new Float64Array(n) : undefined;
  const rowless = v6 ? new Uint8Array(buf.subarray(4 + 12 * n, 4 + 12 * n + ((n + 7) >> 3))) : undefined;
  let at = v6 ? 4 + 12 * n + ((n + 7) >> 3) : 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    offsets[i] = buf.readUInt32LE(4 + 4 * i);
    const len = buf.readUInt32LE(4 + 4 * n + 4 * i);
    if (lineNos) lineNos[i] = firstLineNo! + buf.readUInt32LE(4 + 8 * n + 4 * i);
    lines[i] = buf.toString('utf8', at, at + len);
    at += len;
  }
  return { firstId, lastId, offsets, lines, lineNos, rowless };
}

/** Whether line `i` of a decoded block has no records row. */
export function isRowless(b: Decoded, i: number): boolean {
  return b.rowless !== undefined && (b.rowless[i >> 3]! & (1 << (i & 7))) !== 0;
}

/** Splits one file's consecutive lines (in offset order) into blocks. */
export function* blocksOf(lines: readonly BlockLine[]): Generator<BlockLine[]> {
  let block: BlockLine[] = [];
  let bytes = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) {
    if (
      block.length >= BLOCK_LINES ||
      (block.length > 0 &&
        (bytes + l.raw.length > BLOCK_BYTES ||
          l.offset - block[0]!.offset > MAX_SPAN ||
          Math.max(hi, l.time) - Math.min(lo, l.time) > MAX_BLOCK_SPAN_MS))
    ) {
      yield block;
      block = [];
      bytes = 0;
      lo = Infinity;
      hi = -Infinity;
    }
    block.push(l);
    bytes += l.raw.length;
    if (l.time < lo) lo = l.time;
    if (l.time > hi) hi = l.time;
  }
  if (block.length > 0) yield block;
}

/** A block as stored, before inflating. */
interface BlockRow {
  first_id: bigint;
  last_id: bigint;
  line_no: bigint | null;
  data: Buffer;
}

/** One commit's lines of one file cut into blocks, each with what its row keeps beside the data. */
export interface PreparedBlock {
  firstId: bigint;
  lastId: bigint;
  minTime: number;
  maxTime: number;
  lineNo: number;
  rowless: number;
  /** Its lines kept without a row per second of log time (the `traffic` rows it brings). */
  traffic: Map<number, number>;
  /**
   * The payload (blockPayload) compressed, made before the transaction; or, from a backfill's
   * parse thread that lets the writer compress it (parseThread.ts), `payload` until compressBlocks.
   */
  data?: Uint8Array;
  payload?: Uint8Array;
}

/** Cuts a commit's lines of file `fileId` (in offset order) into compressed blocks, ready to insert. */
export function prepareBlocks(fileId: number, lines: readonly BlockLine[], compress = true): PreparedBlock[] {
  const out: PreparedBlock[] = [];
  for (const block of blocksOf(lines)) {
    let minTime = Infinity;
    let maxTime = -Infinity;
    let rowless = 0;
    const traffic = new Map<number, number>();
    for (const l of block) {
      if (l.time > maxTime) maxTime = l.time;
      if (l.time < minTime) minTime = l.time;
      if (l.rowless) {
        rowless++;
        const second = Math.floor(l.time / 1000);
        traffic.set(second, (traffic.get(second) ?? 0) + 1);
      }
    }
    out.push({
      firstId: recordId(fileId, block[0]!.offset),
      lastId: recordId(fileId, block[block.length - 1]!.offset),
      minTime: Math.round(minTime),
      maxTime: Math.round(maxTime),
      lineNo: block[0]!.lineNo,
      rowless,
      traffic,
      ...(compress ? { data: encodeBlock(block) } : { payload: blockPayload(block) }),
    });
  }
  return out;
}

/** The blocks of one connection: appends a commit's, and fills rows' `raw` from them. */
export class LineBlocks {
  private readonly st;
  private readonly cache = new Map<bigint, Decoded>();

  constructor(db: Database.Database) {
    this.st = {
      insert: db.prepare(
        `INSERT INTO blocks (first_id, last_id, min_time, max_time, line_no, rowless, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      at: db
        .prepare(
          `SELECT first_id, last_id, line_no, data FROM blocks WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1`,
        )
        .safeIntegers(),
      inRange: db
        .prepare(
          `SELECT first_id, last_id, line_no, data FROM blocks WHERE first_id >= ? AND first_id <= ? AND rowless > 0 ORDER BY first_id`,
        )
        .safeIntegers(),
      firstBefore: db
        .prepare(`SELECT first_id FROM blocks WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1`)
        .safeIntegers()
        .pluck(),
      // A block meets [from, to) only if it starts after from - the longest span a block has:
      // both ends of the index range are bounded, however large the index.
      oldestFirst: db
        .prepare(
          `SELECT first_id, last_id, line_no, data, min_time FROM blocks WHERE rowless > 0 AND min_time >= ? AND min_time < ? AND max_time >= ? ORDER BY min_time`,
        )
        .safeIntegers(),
      newestFirst: db
        .prepare(
          `SELECT first_id, last_id, line_no, data, max_time FROM blocks WHERE rowless > 0 AND max_time >= ? AND max_time < ? AND min_time < ? ORDER BY max_time DESC`,
        )
        .safeIntegers(),
      traffic: db.prepare(`INSERT INTO traffic (first_id, second, n) VALUES (?, ?, ?)`),
    };
  }

  /** Inside the commit's transaction: the blocks of one commit's lines of one file (prepareBlocks). */
  add(blocks: readonly PreparedBlock[]): void {
    for (const b of blocks) {
      // Compressed before the transaction (prepareBlocks, or compressBlocks for what a parse thread
      // left); from the parse thread a Uint8Array: SQLite binds a Buffer.
      const d = b.data;
      if (d === undefined) throw new Error('a block reached its insert uncompressed (compressBlocks first)');
      const data = Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      this.st.insert.run(b.firstId, b.lastId, b.minTime, b.maxTime, b.lineNo, b.rowless, data);
      for (const [second, n] of b.traffic) this.st.traffic.run(b.firstId, second, n);
    }
  }

  /**
   * Sets `raw` of each row stored without it (raw ''), from its block, taking the rows in id
   * order (each block inflated once however the rows are ordered); a row whose block is gone
   * keeps ''.
   */
  fill<T extends RawRow>(rows: T[]): T[] {
    const todo: { id: bigint; row: T }[] = [];
    for (const row of rows) if (row.raw === '') todo.push({ id: exactId(row), row });
    todo.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    for (const { id, row } of todo) {
      const line = this.lineAt(id);
      if (line !== undefined) row.raw = line.raw;
    }
    return rows;
  }

  /** The line stored at exactly `id` (file << 40 | offset), if its block is still there. */
  lineAt(id: bigint): { raw: string; lineNo: number | undefined; rowless: boolean } | undefined {
    const at = this.blockAt(id);
    if (at === undefined || at.index < 0) return undefined;
    const b = at.block;
    return { raw: b.lines[at.index]!, lineNo: b.lineNos?.[at.index], rowless: isRowless(b, at.index) };
  }

  /** The block that holds `id` and the line's place in it (index -1: the block has no line there). */
  blockAt(id: bigint): { block: Decoded; index: number } | undefined {
    const b = this.blockOf(id);
    return b === undefined ? undefined : { block: b, index: indexOf(b.offsets, Number(id - b.firstId)) };
  }

  /** The blocks with lines kept without a row whose ids overlap [firstId, lastId], in id order. */
  *rowlessInRange(firstId: bigint, lastId: bigint): Generator<Decoded> {
    // The block that starts at or before firstId may reach into the range.
    const from = (this.st.firstBefore.get(firstId) as bigint | undefined) ?? firstId;
    for (const row of this.st.inRange.iterate(from, lastId) as Iterable<BlockRow>) {
      if (row.last_id >= firstId) yield this.decoded(row);
    }
  }

  /**
   * The blocks with lines kept without a row whose time span meets [from, to): oldest first (by
   * their oldest line) or newest first (by their newest line). The caller stops when it has enough.
   */
  *rowlessInWindow(
    from: number,
    to: number,
    newestFirst: boolean,
    skipFile?: (fileId: number) => boolean,
  ): Generator<Decoded & { bound: number }> {
    const span = MAX_BLOCK_SPAN_MS;
    const rows = newestFirst
      ? this.st.newestFirst.iterate(from, to + span, to)
      : this.st.oldestFirst.iterate(from - span, to, from);
    for (const row of rows as Iterable<BlockRow & { min_time?: bigint; max_time?: bigint }>) {
      // A block of a file the caller does not want is not decompressed.
      if (skipFile?.(Number(row.first_id >> 40n))) continue;
      yield { ...this.decoded(row), bound: Number(row.min_time ?? row.max_time) };
    }
  }

  private blockOf(id: bigint): Decoded | undefined {
    for (const b of this.cache.values()) if (b.firstId <= id && id <= b.lastId) return b;
    const row = this.st.at.get(id) as BlockRow | undefined;
    if (row === undefined || row.last_id < id) return undefined;
    return this.decoded(row);
  }

  private decoded(row: BlockRow): Decoded {
    const hit = this.cache.get(row.first_id);
    if (hit !== undefined) return hit;
    const b = decodeBlock(row.first_id, row.last_id, row.data, row.line_no === null ? null : Number(row.line_no));
    if (this.cache.size >= CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(b.firstId, b);
    return b;
  }

  /** Forget decoded blocks (after retention deleted some: their ids may be reused by no one, but memory goes). */
  clearCache(): void {
    this.cache.clear();
  }
}

/** A row's id from its file and offset (both exact as numbers), as SQLite stores it. */
function exactId(r: RawRow): bigint {
  return (BigInt(r.file_id) << 40n) | BigInt(r.offset);
}

function indexOf(sorted: Uint32Array, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = sorted[mid]!;
    if (m === v) return mid;
    if (m < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
