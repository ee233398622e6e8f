/**
 * What a commit writes, made before its transaction and without the database: the rows of the
 * lines that keep one, the ID entries sorted as a run, the connections of plain nginx lines, and
 * the lines cut into compressed blocks. Pure (no SQLite): a backfill's parse thread runs it too,
 * so that the writing thread, which sets a backfill's pace, only inserts (parseThread.ts).
 */
import type { LogRecord } from '../../parsers/index.js';
import { asksForWebSocket } from '../../parsers/record.js';
import { type IdPage, keyNumber, PageWriter } from './idPages.js';
import { ID_KIND } from './idRuns.js';
import { type BlockLine, type PreparedBlock, prepareBlocks } from './lineBlocks.js';
import { RADIX_MIN_ITEMS, radixOrder } from './radixOrder.js';
import { recordId } from './recordId.js';
import { keptWithoutRow } from './rowless.js';

/** What the index stores of a parsed line (a LogRecord is one; a parse thread sends plain ones). */
export type RecordFields = Pick<
  LogRecord,
  'time' | 'source' | 'requestId' | 'traceId' | 'connection' | 'status' | 'errorKind' | 'upgrade' | 'offset' | 'lineNo'
>;

export interface BatchLine {
  record: RecordFields;
  raw: string;
}

export { OFFSET_MASK, recordId } from './recordId.js';

/** Request IDs longer than this are stored cut (they are client-controlled). */
export const MAX_REQUEST_ID_CHARS = 256;

/**
 * An ID as the index keeps and compares it: lone surrogates (a JSON log can hold "\ud800") as
 * U+FFFD, as UTF-8 must have them. Without this, better-sqlite3 12 (Node 20) stored them in a
 * row's TEXT as WTF-8 and 13 (Node 22+) as U+FFFD, and the ID pages as U+FFFD: one ID, three keys.
 */
export function wellFormed(id: string): string {
  return (id as string & { toWellFormed(): string }).toWellFormed();
}

/** A request ID as the index keeps it: cut at MAX_REQUEST_ID_CHARS, well-formed. */
export function requestIdKey(id: string): string {
  return wellFormed(id.length > MAX_REQUEST_ID_CHARS ? id.slice(0, MAX_REQUEST_ID_CHARS) : id);
}

/** Values of a row in `rows`, in the order of INSERT_RECORDS's columns. */
export const ROW_COLUMNS = 10;

/**
 * A commit's writes, ready for its transaction. Bytes where there are many values (they cross
 * from a parse thread without a copy; objects would be rebuilt one by one).
 */
export interface PreparedCommit {
  /** Bound values of the rows, ROW_COLUMNS each (lines kept without a row have none: rowless.ts). */
  rows: unknown[];
  /** The run's entries (request and trace IDs, plain nginx lines' connections), sorted, in pages. */
  pages: IdPage[];
  /** Log-time span of the lines with an entry (the run's). */
  minTime: number;
  maxTime: number;
  blocks: PreparedBlock[];
  /** The batch's first and last line (the export's change log); undefined: no lines. */
  firstId: bigint | undefined;
  lastId: bigint | undefined;
}

/** An ID entry before it is packed. */
interface Entry {
  kind: number;
  key: string;
  /** Whether `key` is of ASCII only (its UTF-16 order is then its bytes' order). */
  ascii: boolean;
  /** Its first 6 bytes as a number (0 where it is shorter): most comparisons end there. */
  head: number;
  /** Its line's byte offset (the commit's file makes the record id). */
  offset: number;
}

/** A plain nginx line's connection entry before it is packed. */
interface ConnEntry {
  conn: number;
  time: number;
  offset: number;
}

/** The pages' order (idPages.ts): kind, the key's bytes, the record. */
function compareEntries(a: Entry, b: Entry): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.head !== b.head) return a.head - b.head;
  if (a.key !== b.key) {
    if (a.ascii && b.ascii) return a.key < b.key ? -1 : 1;
    const c = Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
    if (c !== 0) return c;
  }
  return a.offset - b.offset;
}

/** The same order for connections: their keys' bytes are the numbers big-endian (connKey). */
function compareConns(a: ConnEntry, b: ConnEntry): number {
  return a.conn - b.conn || a.time - b.time || a.offset - b.offset;
}

/** A commit's entries as one run's pages (IDs first: kind 0 and 1 before 2). */
function packRun(fileId: number, ids: Entry[], conns: ConnEntry[]): IdPage[] {
  const w = new PageWriter();
  for (const e of sorted(
    ids,
    compareEntries,
    (e) => e.kind,
    (e) => e.head,
  ))
    w.pushString(e.kind, e.key, e.ascii, fileId, e.offset);
  for (const c of sorted(
    conns,
    compareConns,
    (c) => c.conn,
    (c) => c.time,
  ))
    w.pushConn(c.conn, c.time, fileId, c.offset);
  return w.finish();
}

/**
 * `items` in `compare`'s order: by radix on two integer keys that `compare` orders by first
 * (radixOrder.ts), then each run of items equal in both by `compare` itself (IDs that share their
 * first 6 bytes; a connection's lines in one millisecond). A few items: `compare` alone.
 */
function sorted<T>(items: T[], compare: (x: T, y: T) => number, a: (x: T) => number, b: (x: T) => number): T[] {
  const n = items.length;
  if (n < RADIX_MIN_ITEMS) return items.sort(compare);
  const ka = new Float64Array(n);
  const kb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ka[i] = a(items[i]!);
    kb[i] = b(items[i]!);
  }
  const order = radixOrder(ka, kb, n);
  const out: T[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = items[order[i]!]!;
  for (let i = 0; i < n; ) {
    const x = order[i]!;
    let j = i + 1;
    while (j < n && ka[order[j]!] === ka[x] && kb[order[j]!] === kb[x]) j++;
    if (j - i > 1) {
      const run = out.slice(i, j).sort(compare);
      for (let k = 0; k < run.length; k++) out[i + k] = run[k]!;
    }
    i = j;
  }
  return out;
}

/** The first 6 bytes of `key`'s UTF-8 as a number, big-endian (exact: below 2^53). */
function headOf(key: string, ascii: boolean): number {
  let h = 0;
  if (ascii) for (let i = 0; i < 6; i++) h = h * 256 + (i < key.length ? key.charCodeAt(i) : 0);
  else {
    // 6 bytes come from at most 6 characters; cut at 12, a surrogate pair the cut splits lies past them.
    const b = Buffer.from(key.slice(0, 12));
    for (let i = 0; i < 6; i++) h = h * 256 + (b[i] ?? 0);
  }
  return h;
}

function idEntry(kind: number, key: string, offset: number): Entry {
  // As many UTF-8 bytes as characters: ASCII only (a lone surrogate takes 3). A third of a regex test's time.
  const ascii = Buffer.byteLength(key, 'utf8') === key.length;
  return { kind, key, ascii, head: headOf(key, ascii), offset };
}

/**
 * A batch's lines of one file (in offset order) as the writes of one commit. `compress` false:
 * the blocks keep their payload for the writer to compress (compressBlocks, before its transaction).
 */
export function prepareCommit(fileId: number, lines: readonly BatchLine[], compress = true): PreparedCommit {
  const entries: Entry[] = [];
  const conns: ConnEntry[] = [];
  const d = {
    rows: [] as unknown[],
    minTime: Infinity,
    maxTime: -Infinity,
  };
  const blockLines: BlockLine[] = new Array(lines.length);
  let i = 0;
  for (const { record: r, raw } of lines) {
    const rid = r.requestId === undefined ? undefined : requestIdKey(r.requestId);
    const traceId = r.traceId === undefined ? undefined : wellFormed(r.traceId);
    const offset = r.offset!;
    const time = Math.round(r.time);
    const rowless = keptWithoutRow(r);
    if (rowless) {
      if (r.connection !== undefined && r.source === 'nginx-access') {
        // As connKey writes them (so this order is the bytes' order).
        conns.push({ conn: keyNumber(r.connection), time: keyNumber(time), offset });
        if (time < d.minTime) d.minTime = time;
        if (time > d.maxTime) d.maxTime = time;
      }
    } else {
      d.rows.push(
        recordId(fileId, offset),
        r.lineNo,
        time,
        r.source,
        rid ?? null,
        traceId ?? null,
        r.connection ?? null,
        r.status ?? null,
        r.errorKind ?? null,
        asksForWebSocket(r) ? 1 : null,
      );
    }
    blockLines[i++] = { offset, time, raw, lineNo: r.lineNo!, rowless };
    if (rid !== undefined) entries.push(idEntry(ID_KIND.request, rid, offset));
    if (traceId !== undefined) entries.push(idEntry(ID_KIND.trace, traceId, offset));
    if (rid !== undefined || traceId !== undefined) {
      if (time < d.minTime) d.minTime = time;
      if (time > d.maxTime) d.maxTime = time;
    }
  }
  return {
    ...d,
    pages: packRun(fileId, entries, conns),
    blocks: prepareBlocks(fileId, blockLines, compress),
    firstId: lines.length > 0 ? recordId(fileId, blockLines[0]!.offset) : undefined,
    lastId: lines.length > 0 ? recordId(fileId, blockLines[lines.length - 1]!.offset) : undefined,
  };
}

/**
 * The buffers of a prepared commit that a parse thread hands over rather than copies: its typed
 * arrays, and each block's bytes, first copied into an ArrayBuffer of their own. A Buffer is often
 * a view of a larger one (zlib's 16 KiB output chunk, Buffer's shared 8 KiB pool) and a clone
 * copies the whole of it: a 1-2 KB compressed block crossed as 16 KiB, and on Node 24 the writer
 * held ~50 MB of such copies between collections (peak RSS 288 MB on a 1 GB file).
 */
export function transferables(d: PreparedCommit): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  // Each its own buffer (PageWriter slices them).
  for (const p of d.pages) out.push(p.data.buffer as ArrayBuffer, p.lastKey.buffer as ArrayBuffer);
  for (const b of d.blocks) {
    if (b.data !== undefined) out.push((b.data = ownBuffer(b.data)).buffer);
    if (b.payload !== undefined) out.push((b.payload = ownBuffer(b.payload)).buffer);
  }
  return out;
}

/**
 * `a` if it is the whole of its ArrayBuffer (a payload of more than 4 KiB: Buffer.allocUnsafe gives
 * it one of its own), else a copy that is: an uncompressed payload (~64 KB a block) was copied
 * for nothing, 176 MB for a 176 MB file (4% of the parse thread's time).
 */
function ownBuffer(a: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  return whole ? (a as Uint8Array<ArrayBuffer>) : new Uint8Array(a);
}
