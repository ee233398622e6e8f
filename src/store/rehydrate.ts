/** Stored rows back into LogRecords: the raw line through the parser its file was read with. */
import { createParser, LogRecord, ParseError, type LineParser, type ParserOptions } from '../../parsers/index.js';
import type { StoredRecord } from './recordIndex.js';

export interface IndexedRecord extends LogRecord {
  /** records.id: file and offset. */
  rowId: number | bigint;
  region: string | undefined;
  /** The line as written. */
  raw: string;
}

export class Rehydrator {
  private readonly parsers = new Map<number, LineParser>();

  record(row: StoredRecord): IndexedRecord | undefined {
    let parse = this.parsers.get(row.file_id);
    if (!parse) {
      parse = createParser(row.format, JSON.parse(row.options) as ParserOptions);
      this.parsers.set(row.file_id, parse);
    }
    const r = parse(row.raw);
    if (r instanceof ParseError) return undefined; // stored lines parsed once; a parser change may refuse one
    const rec = r as IndexedRecord;
    rec.file = row.path;
    rec.offset = Number(row.offset);
    rec.lineNo = row.line_no;
    rec.rowId = row.id;
    rec.region = row.region ?? undefined;
    rec.raw = row.raw;
    return rec;
  }

  records(rows: StoredRecord[]): IndexedRecord[] {
    const out: IndexedRecord[] = [];
    for (const row of rows) {
      const r = this.record(row);
      if (r) out.push(r);
    }
    return out;
  }
}
