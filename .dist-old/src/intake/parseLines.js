/**
 * The intake's read-and-parse loop, shared by the reading thread (`readRow` in intakeFile.ts)
 * and the parse thread of a backfill (parseWorker.ts): lines from a checkpoint, parsed for what
 * the index stores, handed on in batches that each end at a line start (their checkpoint).
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ParseError, parserFor } from '../../parsers/index.js';
import { chain, readLineBatches } from '../read/lineReader.js';
/** Drops the first `n` bytes of a stream (resuming inside a decompressed archive). */
export function skipBytes(n) {
    let left = n;
    return new Transform({
        transform(chunk, _enc, cb) {
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
export function streamFrom(raw, gzip, offset) {
    if (!gzip)
        return raw(offset);
    return offset > 0 ? chain(raw(0), createGunzip(), skipBytes(offset)) : chain(raw(0), createGunzip());
}
/** A stream of an open file descriptor (any thread of the process may read it; it stays open). */
export function streamOfFd(fd, gzip, offset) {
    return streamFrom((start) => createReadStream('', { fd, start, highWaterMark: 256 * 1024, autoClose: false }), gzip, offset);
}
/**
 * Reads and parses from the row's checkpoint to the end of `stream`, calling `emit` with every
 * `batchLines` lines (and once at the end if anything moved). A partial last line is left for
 * the next read unless `final`. Returns the checkpoint reached.
 */
export async function parseLines(stream, row, o, emit) {
    // Lookups parse the stored line in full; here only what the index's columns need.
    const parse = parserFor(row.format, JSON.stringify({ ...JSON.parse(row.options), maxLineChars: o.maxLineBytes, indexOnly: true }));
    let b = {
        lines: [],
        errors: [],
        offset: row.offset,
        lineNo: row.line_no,
        cut: 0,
        batchStart: row.offset,
    };
    const take = (line) => {
        if (line.partial && !o.final)
            return false; // still being written: the next read takes it whole
        const at = row.offset + line.offset;
        const no = row.line_no + line.lineNo;
        let r;
        if (line.tooLong) {
            b.cut++;
            r = new ParseError('line-too-long', `${line.bytes} bytes, over the limit of ${o.maxLineBytes}`);
        }
        else {
            r = parse(line.text);
        }
        if (r instanceof ParseError) {
            b.errors.push({ error: r, offset: at, lineNo: no, line: line.text });
        }
        else {
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
            if (!take(line))
                break read;
            if (b.lines.length + b.errors.length >= o.batchLines) {
                await emit(b);
                b = { lines: [], errors: [], offset: b.offset, lineNo: b.lineNo, cut: 0, batchStart: b.offset };
            }
        }
    }
    if (b.lines.length + b.errors.length > 0 || b.offset !== b.batchStart)
        await emit(b);
    return { offset: b.offset, lineNo: b.lineNo };
}
//# sourceMappingURL=parseLines.js.map