/**
 * The ID runs' pages (schema 7): a run's entries, sorted, packed into blobs of ~4 KB, each a row
 * keyed by its last entry (idRuns.ts). Pure: a backfill's parse thread packs a commit's pages.
 *
 * Why: an entry per SQLite row cost the writing thread ~7 us a line (its insert, its copies by
 * the merges, its deletes) and a plain nginx line's connection ~2.5 us more (two B-trees); the
 * claw_json backfill's pace was that thread's (issue 14). A page is one row for ~80 entries, and
 * a merge copies bytes in memory instead of rows through SQL.
 *
 * An entry: [key length u16 LE][key bytes][record i64 LE]. A page holds one kind. Order: the key's
 * bytes (memcmp, as SQLite compares BLOBs: the page rows' index agrees), then the record. Keys:
 * a request or trace ID's UTF-8; a connection's (kind 2) number and log time, u64 big-endian
 * each, so byte order is numeric order and a connection's entries in a time window are a range.
 */

/** Bytes a page holds at most (with 8 KiB database pages, two pages a database page, no overflow). */
export const PAGE_BYTES = 4000;

/** A packed page: its kind, entry count, last entry (its key in the run's page index) and bytes. */
export interface IdPage {
  kind: number;
  n: number;
  lastKey: Uint8Array;
  lastRecord: bigint;
  data: Uint8Array;
}

const utf8 = new TextEncoder();

/** memcmp of a[ao, ao+al) and b[bo, bo+bl). */
export function compareBytes(a: Uint8Array, ao: number, al: number, b: Uint8Array, bo: number, bl: number): number {
  const n = Math.min(al, bl);
  for (let i = 0; i < n; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return al - bl;
}

/** Signed compare of the i64 LE at a[ao] and b[bo]. */
export function compareRecords(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  const ha = (a[ao + 4]! | (a[ao + 5]! << 8) | (a[ao + 6]! << 16) | (a[ao + 7]! << 24)) >> 0;
  const hb = (b[bo + 4]! | (b[bo + 5]! << 8) | (b[bo + 6]! << 16) | (b[bo + 7]! << 24)) >> 0;
  if (ha !== hb) return ha - hb;
  const la = (a[ao]! | (a[ao + 1]! << 8) | (a[ao + 2]! << 16) | (a[ao + 3]! << 24)) >>> 0;
  const lb = (b[bo]! | (b[bo + 1]! << 8) | (b[bo + 2]! << 16) | (b[bo + 3]! << 24)) >>> 0;
  return la - lb;
}

export function readRecord(a: Uint8Array, at: number): bigint {
  return new DataView(a.buffer, a.byteOffset, a.byteLength).getBigInt64(at, true);
}

/** A number as a connection key holds it: an integer in [0, 2^53) (negatives and NaN 0, larger ones 2^53 - 1). */
export function keyNumber(x: number): number {
  return x > 0 ? Math.min(Math.floor(x), Number.MAX_SAFE_INTEGER) : 0; // NaN: 0; +Infinity: the largest
}

/** Writes keyNumber(x) as a u64 big-endian at v[at]. */
function putU64(v: DataView, at: number, x: number): void {
  const y = keyNumber(x);
  v.setUint32(at, Math.floor(y / 2 ** 32));
  v.setUint32(at + 4, y >>> 0);
}

/** Writes the record id `fileId << 40 | offset` (recordId.ts) as an i64 LE, without a BigInt. */
function putRecord(v: DataView, at: number, fileId: number, offset: number): void {
  v.setUint32(at, offset >>> 0, true);
  v.setInt32(at + 4, fileId * 256 + Math.floor(offset / 2 ** 32), true);
}

/** The key of a connection entry: its number and log time, u64 big-endian each (negatives as 0). */
export function connKey(conn: number, time: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  putU64(v, 0, conn);
  putU64(v, 8, time);
  return b;
}

/** The smallest key above every key that starts with `p` (UTF-8 has no 0xFF byte). */
export function afterPrefix(p: Uint8Array): Uint8Array {
  const b = new Uint8Array(p.length + 1);
  b.set(p);
  b[p.length] = 0xff;
  return b;
}

/** The smallest key above `k`: the range [k, after(k)) is k alone. */
export function after(k: Uint8Array): Uint8Array {
  const b = new Uint8Array(k.length + 1);
  b.set(k);
  return b;
}

/**
 * Packs entries, given in order, into pages of one kind each. `push` copies an entry from the
 * bytes of another page (a merge); `pushKey` writes one from a key and a record (a commit).
 *
 * With `sink`, each page is handed to it as it is closed, its `data` a view of the writer's own
 * buffer, valid during the call (an insert, which copies it): a merge writes ~4 KB pages by the
 * hundred a second, each otherwise a buffer of its own for the garbage collector and malloc.
 * Without, the pages are collected (`take`, `finish`), each with its own bytes.
 */
export class PageWriter {
  constructor(private readonly sink?: (page: IdPage) => void) {}

  private buf = new Uint8Array(PAGE_BYTES + 2 + 4096 + 8);
  private view = new DataView(this.buf.buffer);
  private used = 0;
  private n = 0;
  private kind = -1;
  private lastAt = 0;
  private readonly pages: IdPage[] = [];

  /** The entry of `len` bytes at src[at] (an entry as laid out in a page). */
  push(kind: number, src: Uint8Array, at: number, len: number): void {
    this.room(kind, len);
    // Byte by byte: an entry is ~42 bytes, and a subarray a call would be an object each.
    const b = this.buf;
    const u = this.used;
    for (let i = 0; i < len; i++) b[u + i] = src[at + i]!;
    this.lastAt = this.used;
    this.used += len;
    this.n++;
  }

  pushKey(kind: number, key: Uint8Array, record: bigint): void {
    const len = 2 + key.length + 8;
    this.room(kind, len);
    this.view.setUint16(this.used, key.length, true);
    this.buf.set(key, this.used + 2);
    this.view.setBigInt64(this.used + 2 + key.length, record, true);
    this.lastAt = this.used;
    this.used += len;
    this.n++;
  }

  /** A connection entry (kind 2) of line `offset` of file `fileId`: its key connKey(conn, time), written in place. */
  pushConn(conn: number, time: number, fileId: number, offset: number): void {
    this.room(2, 2 + 16 + 8);
    this.view.setUint16(this.used, 16, true);
    putU64(this.view, this.used + 2, conn);
    putU64(this.view, this.used + 10, time);
    putRecord(this.view, this.used + 18, fileId, offset);
    this.lastAt = this.used;
    this.used += 26;
    this.n++;
  }

  /**
   * An entry of line `offset` of file `fileId` whose key is a string (`ascii`: of ASCII only, its
   * bytes as many as its characters).
   */
  pushString(kind: number, key: string, ascii: boolean, fileId: number, offset: number): void {
    const kl = ascii ? key.length : Buffer.byteLength(key, 'utf8'); // a lone surrogate: 3, as encodeInto writes it
    const len = 2 + kl + 8;
    this.room(kind, len);
    this.view.setUint16(this.used, kl, true);
    if (ascii) {
      // Its characters are its bytes: written in place (encodeInto wants a subarray an entry).
      const b = this.buf;
      const at = this.used + 2;
      for (let i = 0; i < kl; i++) b[at + i] = key.charCodeAt(i);
    } else utf8.encodeInto(key, this.buf.subarray(this.used + 2, this.used + 2 + kl));
    putRecord(this.view, this.used + 2 + kl, fileId, offset);
    this.lastAt = this.used;
    this.used += len;
    this.n++;
  }

  /** The pages packed so far (the one being filled stays), handed over. */
  take(): IdPage[] {
    return this.pages.splice(0);
  }

  /** The pages packed, the last one closed (with a sink: none, each went to it). */
  finish(): IdPage[] {
    this.flush();
    return this.pages;
  }

  private room(kind: number, len: number): void {
    if (kind !== this.kind || (this.n > 0 && this.used + len > PAGE_BYTES)) {
      this.flush();
      this.kind = kind;
    }
    if (len > this.buf.length) throw new Error(`an ID entry of ${len} bytes (keys are cut at 256 characters)`);
  }

  private flush(): void {
    if (this.n === 0) return;
    const data = this.sink ? this.buf.subarray(0, this.used) : this.buf.slice(0, this.used);
    const kl = data[this.lastAt]! | (data[this.lastAt + 1]! << 8);
    const page = {
      kind: this.kind,
      n: this.n,
      lastKey: data.slice(this.lastAt + 2, this.lastAt + 2 + kl),
      lastRecord: readRecord(data, this.lastAt + 2 + kl),
      data,
    };
    if (this.sink) this.sink(page);
    else this.pages.push(page);
    this.used = 0;
    this.n = 0;
  }
}

/** Calls `each(at, keyAt, keyLen, len)` for every entry of a page, in order; stops when it returns false. */
export function forEachEntry(
  data: Uint8Array,
  each: (at: number, keyAt: number, keyLen: number, len: number) => boolean | undefined,
): void {
  for (let at = 0; at < data.length; ) {
    const kl = data[at]! | (data[at + 1]! << 8);
    const len = 2 + kl + 8;
    if (each(at, at + 2, kl, len) === false) return;
    at += len;
  }
}
