/**
 * The raw lines, stored compressed in blocks (schema 5).
 *
 * Why: the raw line was most of the index (1 KB of a claw_json row's ~1.3 KB) and every byte of
 * it was written twice (to the WAL, then at the checkpoint). A commit's lines of one file go in
 * blocks of up to BLOCK_LINES consecutive lines, deflated together: lines of one format repeat
 * their keys and values, so a block is a fraction of its lines (measured in bench/layout.ts and
 * `bench:ingest`). A record row keeps the columns lookups filter on and an empty `raw`; a reader
 * gets its line from the block whose first line is at or before it (`blocks.first_id`, the same
 * file-and-offset id as `records.id`). Rows written before schema 5 keep their line inline.
 *
 * Payload before deflate: u32 n; n u32 offsets (from the first line's); n u32 byte lengths; the
 * lines' UTF-8 bytes back to back. A line is found by its offset, never by position, so a block
 * that does not hold a record's offset yields nothing rather than another line.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from './sqlite.js';

/** Lines per block: a lookup inflates whole blocks (64 lines of 1 KB: ~50 us), a larger block compresses little better. */
export const BLOCK_LINES = 64;
/** Raw characters per block at most (long lines: a block stays small to inflate; up to 3x in UTF-8 bytes). */
const BLOCK_BYTES = 256 * 1024;
/** A block's lines lie within 4 GiB of its first (offsets are u32; a skipped over-long line can be larger). */
const MAX_SPAN = 0xffff_ffffn;
/** Decoded blocks kept per connection (a window's rows come from a few blocks, read again and again). */
const CACHE_BLOCKS = 32;

export interface BlockLine {
  /** records.id: file << 40 | offset. */
  id: bigint;
  time: number;
  raw: string;
}

interface Decoded {
  /** Exact ids (file << 40 | offset): past file 8191 they exceed 2^53, where a JS number would round. */
  firstId: bigint;
  lastId: bigint;
  /** Offsets from the first line's, ascending. */
  offsets: Uint32Array;
  lines: string[];
}

/** A row to fill: its file and byte offset make its exact id. */
export interface RawRow {
  file_id: number;
  offset: number;
  raw: string;
}

export function encodeBlock(lines: readonly BlockLine[]): Buffer {
  const n = lines.length;
  const first = lines[0]!.id;
  const bodies = lines.map((l) => Buffer.from(l.raw, 'utf8'));
  const head = Buffer.alloc(4 + 8 * n);
  head.writeUInt32LE(n, 0);
  for (let i = 0; i < n; i++) {
    head.writeUInt32LE(Number(lines[i]!.id - first), 4 + 4 * i);
    head.writeUInt32LE(bodies[i]!.length, 4 + 4 * n + 4 * i);
  }
  return deflateRawSync(Buffer.concat([head, ...bodies]), { level: 1 });
}

export function decodeBlock(firstId: bigint, lastId: bigint, data: Buffer): Decoded {
  const buf = inflateRawSync(data);
  const n = buf.readUInt32LE(0);
  const offsets = new Uint32Array(n);
  const lines: string[] = new Array(n);
  let at = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    offsets[i] = buf.readUInt32LE(4 + 4 * i);
    const len = buf.readUInt32LE(4 + 4 * n + 4 * i);
    lines[i] = buf.toString('utf8', at, at + len);
    at += len;
  }
  return { firstId, lastId, offsets, lines };
}

/** Splits one file's consecutive lines (in offset order) into blocks. */
export function* blocksOf(lines: readonly BlockLine[]): Generator<BlockLine[]> {
  let block: BlockLine[] = [];
  let bytes = 0;
  for (const l of lines) {
    if (
      block.length >= BLOCK_LINES ||
      (block.length > 0 && (bytes + l.raw.length > BLOCK_BYTES || l.id - block[0]!.id > MAX_SPAN))
    ) {
      yield block;
      block = [];
      bytes = 0;
    }
    block.push(l);
    bytes += l.raw.length;
  }
  if (block.length > 0) yield block;
}

/** The blocks of one connection: appends a commit's, and fills rows' `raw` from them. */
export class LineBlocks {
  private readonly st;
  private readonly cache = new Map<bigint, Decoded>();

  constructor(db: Database.Database) {
    this.st = {
      insert: db.prepare(`INSERT INTO blocks (first_id, last_id, max_time, data) VALUES (?, ?, ?, ?)`),
      at: db
        .prepare(`SELECT first_id, last_id, data FROM blocks WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1`)
        .safeIntegers(),
    };
  }

  /** Inside the commit's transaction: the lines of one file, in offset order. */
  add(lines: readonly BlockLine[]): void {
    for (const block of blocksOf(lines)) {
      let maxTime = -Infinity;
      for (const l of block) if (l.time > maxTime) maxTime = l.time;
      this.st.insert.run(block[0]!.id, block[block.length - 1]!.id, Math.round(maxTime), encodeBlock(block));
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
      const b = this.blockOf(id);
      if (b === undefined) continue;
      const i = indexOf(b.offsets, Number(id - b.firstId));
      if (i >= 0) row.raw = b.lines[i]!;
    }
    return rows;
  }

  private blockOf(id: bigint): Decoded | undefined {
    for (const b of this.cache.values()) if (b.firstId <= id && id <= b.lastId) return b;
    const row = this.st.at.get(id) as { first_id: bigint; last_id: bigint; data: Buffer } | undefined;
    if (row === undefined || row.last_id < id) return undefined;
    const b = decodeBlock(row.first_id, row.last_id, row.data);
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
