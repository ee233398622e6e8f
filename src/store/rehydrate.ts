/** Stored rows back into LogRecords: the raw line through the parser its file was read with. */
import { type LogRecord, ParseError, parserFor } from '../../parsers/index.js';
import type { StoredRecord } from './recordIndex.js';

export interface IndexedRecord extends LogRecord {
  /** records.id: file and offset, exact (past file 8191 it exceeds 2^53); 0 for a line from another agent. */
  rowId: number | bigint;
  region: string | undefined;
  /** The line as written. */
  raw: string;
}

/** A stored row as the record its line parses into (undefined if a changed parser now refuses it). */
export function rehydrateOne(row: StoredRecord): IndexedRecord | undefined {
  const r = row.parsed ?? parserFor(row.format, row.options)(row.raw);
  if (r instanceof ParseError) return undefined;
  const rec = r as IndexedRecord;
  rec.file = row.path;
  rec.offset = Number(row.offset);
  rec.lineNo = row.line_no;
  rec.rowId = (BigInt(row.file_id) << 40n) | BigInt(row.offset);
  rec.region = row.region ?? undefined;
  rec.raw = row.raw;
  return rec;
}

export function rehydrate(rows: StoredRecord[]): IndexedRecord[] {
  const out: IndexedRecord[] = [];
  for (const row of rows) {
    const r = rehydrateOne(row);
    if (r) out.push(r);
  }
  return out;
}
