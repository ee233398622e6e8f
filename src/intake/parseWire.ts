/**
 * A parsed batch as it crosses from the parse thread to the writer: columns, not one object per
 * line. Cloned as `{ record, raw }` objects (10 keys each, every key written and read again per
 * line), receiving 1M `combined` lines cost the writing thread 1.9-2.2 s of CPU against 1.0-1.4 s
 * to read and parse them itself (claw_json: the same as parsing them): the thread spared the writer
 * nothing; as columns, 0.9-1.1 s (claw_json: 0.3-0.5 s against 0.4-0.7). The numbers are one
 * transferred buffer, each text field an array of strings.
 */
import type { LogRecord } from '../../parsers/index.js';
import { type PreparedCommit, transferables } from '../store/prepare.js';
import type { BatchLine, RecordFields } from '../store/recordIndex.js';
import type { ParsedBatch } from './parseLines.js';

/** A batch on the wire: its lines as columns. */
export type WireBatch = Omit<ParsedBatch<RecordFields>, 'lines'> & { lines: WireLines };

/** The numeric fields, NUMBERS to a line; NaN for a field the line does not have. */
const NUMBERS = 5;

export interface WireLines {
  count: number;
  /** time, connection, status, offset, lineNo per line. */
  numbers: Float64Array;
  source: string[];
  requestId: (string | undefined)[];
  traceId: (string | undefined)[];
  errorKind: (string | undefined)[];
  upgrade: (string | undefined)[];
  raw: string[];
}

export function packLines(lines: readonly { record: LogRecord; raw: string }[]): WireLines {
  const n = lines.length;
  const numbers = new Float64Array(n * NUMBERS);
  const w: WireLines = {
    count: n,
    numbers,
    source: new Array<string>(n),
    requestId: new Array<string | undefined>(n),
    traceId: new Array<string | undefined>(n),
    errorKind: new Array<string | undefined>(n),
    upgrade: new Array<string | undefined>(n),
    raw: new Array<string>(n),
  };
  for (let i = 0; i < n; i++) {
    const { record: r, raw } = lines[i]!;
    const k = i * NUMBERS;
    numbers[k] = r.time;
    numbers[k + 1] = r.connection ?? NaN;
    numbers[k + 2] = r.status ?? NaN;
    numbers[k + 3] = r.offset ?? NaN;
    numbers[k + 4] = r.lineNo ?? NaN;
    w.source[i] = r.source;
    w.requestId[i] = r.requestId;
    w.traceId[i] = r.traceId;
    w.errorKind[i] = r.errorKind;
    w.upgrade[i] = r.upgrade;
    w.raw[i] = raw;
  }
  return w;
}

const num = (v: number): number | undefined => (Number.isNaN(v) ? undefined : v);

export function unpackLines(w: WireLines): BatchLine[] {
  const out = new Array<BatchLine>(w.count);
  const x = w.numbers;
  for (let i = 0; i < w.count; i++) {
    const k = i * NUMBERS;
    out[i] = {
      record: {
        time: x[k]!,
        source: w.source[i] as LogRecord['source'],
        requestId: w.requestId[i],
        traceId: w.traceId[i],
        connection: num(x[k + 1]!),
        status: num(x[k + 2]!),
        errorKind: w.errorKind[i],
        upgrade: w.upgrade[i],
        offset: num(x[k + 3]!),
        lineNo: num(x[k + 4]!),
      },
      raw: w.raw[i]!,
    };
  }
  return out;
}

/**
 * A batch's prepared writes as they cross to the writer (prepare.ts): the typed arrays handed
 * over, the rest (rows, blocks' compressed bytes, ID keys) cloned.
 */
export function packPrepared(d: PreparedCommit): { prepared: PreparedCommit; transfer: ArrayBuffer[] } {
  return { prepared: d, transfer: transferables(d) };
}
