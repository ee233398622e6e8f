/**
 * What a commit writes, made before its transaction and without the database: the rows of the
 * lines that keep one, the ID entries sorted as a run, the connections of plain nginx lines, and
 * the lines cut into compressed blocks. Pure (no SQLite): a backfill's parse thread runs it too,
 * so that the writing thread, which sets a backfill's pace, only inserts (parseThread.ts).
 */
import type { LogRecord } from '../../parsers/index.js';
import { asksForWebSocket } from '../../parsers/record.js';
import { compareEntries, ID_KIND, type IdColumns, type IdEntry } from './idRuns.js';
import { type BlockLine, type PreparedBlock, prepareBlocks } from './lineBlocks.js';
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

export type { IdColumns } from './idRuns.js';
export { OFFSET_MASK, recordId } from './recordId.js';

/** Request IDs longer than this are stored cut (they are client-controlled). */
export const MAX_REQUEST_ID_CHARS = 256;

/** Values of a row in `rows`, in the order of INSERT_RECORDS's columns. */
export const ROW_COLUMNS = 10;

/**
 * A commit's writes, ready for its transaction. Columns in typed arrays where there is one value
 * a line (they cross from a parse thread without a copy; objects would be rebuilt one by one).
 */
export interface PreparedCommit {
  /** Bound values of the rows, ROW_COLUMNS each (lines kept without a row have none: rowless.ts). */
  rows: unknown[];
  /** The ID entries, sorted (one run; compareEntries). */
  entries: IdColumns;
  /** Log-time span of the lines with an ID (the run's). */
  minTime: number;
  maxTime: number;
  /** Plain nginx lines' connections: records.id, connection, time. */
  conns: { ids: BigInt64Array; conn: Float64Array; time: Float64Array };
  blocks: PreparedBlock[];
  /** The batch's first and last line (the export's change log); undefined: no lines. */
  firstId: bigint | undefined;
  lastId: bigint | undefined;
}

function idColumns(entries: readonly IdEntry[]): IdColumns {
  const c: IdColumns = {
    kinds: new Uint8Array(entries.length),
    keys: new Array<string>(entries.length),
    records: new BigInt64Array(entries.length),
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    c.kinds[i] = e.kind;
    c.keys[i] = e.key;
    c.records[i] = e.record;
  }
  return c;
}

/**
 * A batch's lines of one file (in offset order) as the writes of one commit. `compress` false:
 * the blocks keep their payload for the writer to compress (compressBlocks, before its transaction).
 */
export function prepareCommit(fileId: number, lines: readonly BatchLine[], compress = true): PreparedCommit {
  const entries: IdEntry[] = [];
  const connIds: bigint[] = [];
  const connNums: number[] = [];
  const connTimes: number[] = [];
  const d = {
    rows: [] as unknown[],
    minTime: Infinity,
    maxTime: -Infinity,
  };
  const blockLines: BlockLine[] = new Array(lines.length);
  let i = 0;
  for (const { record: r, raw } of lines) {
    const rid =
      r.requestId !== undefined && r.requestId.length > MAX_REQUEST_ID_CHARS
        ? r.requestId.slice(0, MAX_REQUEST_ID_CHARS)
        : r.requestId;
    let id: bigint | undefined; // made only where a row, connection or ID entry needs it
    const time = Math.round(r.time);
    const rowless = keptWithoutRow(r);
    if (rowless) {
      if (r.connection !== undefined && r.source === 'nginx-access') {
        connIds.push((id ??= recordId(fileId, r.offset!)));
        connNums.push(r.connection);
        connTimes.push(time);
      }
    } else {
      d.rows.push(
        (id ??= recordId(fileId, r.offset!)),
        r.lineNo,
        time,
        r.source,
        rid ?? null,
        r.traceId ?? null,
        r.connection ?? null,
        r.status ?? null,
        r.errorKind ?? null,
        asksForWebSocket(r) ? 1 : null,
      );
    }
    blockLines[i++] = { offset: r.offset!, time, raw, lineNo: r.lineNo!, rowless };
    if (rid !== undefined)
      entries.push({ kind: ID_KIND.request, key: rid, record: (id ??= recordId(fileId, r.offset!)) });
    if (r.traceId !== undefined)
      entries.push({ kind: ID_KIND.trace, key: r.traceId, record: (id ??= recordId(fileId, r.offset!)) });
    if (rid !== undefined || r.traceId !== undefined) {
      if (time < d.minTime) d.minTime = time;
      if (time > d.maxTime) d.maxTime = time;
    }
  }
  entries.sort(compareEntries);
  return {
    ...d,
    entries: idColumns(entries),
    conns: {
      ids: BigInt64Array.from(connIds),
      conn: Float64Array.from(connNums),
      time: Float64Array.from(connTimes),
    },
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
  const out = [d.entries.kinds, d.entries.records, d.conns.ids, d.conns.conn, d.conns.time].map(
    (a) => a.buffer as ArrayBuffer,
  );
  for (const b of d.blocks) {
    if (b.data !== undefined) out.push((b.data = new Uint8Array(b.data)).buffer);
    if (b.payload !== undefined) out.push((b.payload = new Uint8Array(b.payload)).buffer);
  }
  return out;
}
