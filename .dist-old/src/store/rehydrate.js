/** Stored rows back into LogRecords: the raw line through the parser its file was read with. */
import { ParseError, parserFor } from '../../parsers/index.js';
/** A stored row as the record its line parses into (undefined if a changed parser now refuses it). */
export function rehydrateOne(row) {
    const r = parserFor(row.format, row.options)(row.raw);
    if (r instanceof ParseError)
        return undefined;
    const rec = r;
    rec.file = row.path;
    rec.offset = Number(row.offset);
    rec.lineNo = row.line_no;
    rec.rowId = row.id;
    rec.region = row.region ?? undefined;
    rec.raw = row.raw;
    return rec;
}
export function rehydrate(rows) {
    const out = [];
    for (const row of rows) {
        const r = rehydrateOne(row);
        if (r)
            out.push(r);
    }
    return out;
}
//# sourceMappingURL=rehydrate.js.map