/**
 * One log file to records: detect (or take) the format, read lines, parse, and count what could
 * not be read, by reason, with the first place each reason was met. Bad lines never stop it.
 */
import { createParser, detectFormat, ParseError, } from '../../parsers/index.js';
import { UserError } from '../../parsers/userError.js';
import { DEFAULT_MAX_LINE_BYTES, NoNewlineError, openLogStream, readLineBatches } from './lineReader.js';
export class UnknownFormatError extends UserError {
    name = 'UnknownFormatError';
}
const SAMPLE_LINES = 50;
/** A line this long without a newline ends the read (`parse /dev/zero` would run forever). */
const GIVE_UP_BYTES = 64 * 1024 * 1024;
async function* guard(file, batches) {
    try {
        yield* batches;
    }
    catch (e) {
        if (e instanceof NoNewlineError)
            throw new UnknownFormatError(`${file}: ${e.message} (an endless input such as /dev/zero?)`);
        throw e;
    }
}
/** Streams a file's records and errors; `stats` is complete once the iterator is done. */
export async function* parseFile(file, opts, stats) {
    const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    // Batches of lines (one await per chunk read, not per line), as the intake reads them.
    const batches = guard(file, readLineBatches(await openLogStream(file), maxLineBytes, GIVE_UP_BYTES));
    const head = [];
    let format = opts.format;
    if (format === undefined) {
        // next(), not for-await: breaking out of for-await would close the generator.
        while (head.length < SAMPLE_LINES) {
            const n = await batches.next();
            if (n.done)
                break;
            head.push(...n.value);
        }
        const found = detectFormat(head.filter((l) => !l.tooLong).map((l) => l.text), opts);
        if (!found) {
            if (head.length === 0) {
                Object.assign(stats, { file, format: 'none', detected: true });
                return;
            }
            throw new UnknownFormatError(`${file}: no known format reads its first lines; name one with --format (and --log-format for a custom nginx log_format)`);
        }
        format = found.format;
        stats.detected = true;
    }
    stats.file = file;
    stats.format = format;
    const parse = createParser(format, { ...opts, maxLineChars: maxLineBytes });
    function* handle(line) {
        stats.lines++;
        if (line.partial)
            stats.partialLastLine = true;
        let result;
        if (line.tooLong) {
            result = new ParseError('line-too-long', `${line.bytes} bytes, over the limit of ${maxLineBytes} (--max-line-bytes)`);
        }
        else {
            result = parse(line.text);
        }
        if (line.invalidUtf8)
            stats.invalidUtf8++;
        if (result instanceof ParseError) {
            stats.errors++;
            const r = (stats.byReason[result.reason] ??= {
                count: 0,
                first: { lineNo: line.lineNo, offset: line.offset, detail: result.detail },
            });
            r.count++;
            yield { kind: 'error', error: result, line };
            return;
        }
        result.file = file;
        result.offset = line.offset;
        result.lineNo = line.lineNo;
        if (line.invalidUtf8)
            result.invalidUtf8 = true;
        stats.records++;
        yield { kind: 'record', record: result };
    }
    for (const l of head)
        yield* handle(l);
    for await (const batch of batches)
        for (const l of batch)
            yield* handle(l);
}
export function emptyStats(file) {
    return {
        file,
        format: 'unknown',
        detected: false,
        lines: 0,
        records: 0,
        errors: 0,
        byReason: {},
        invalidUtf8: 0,
        partialLastLine: false,
    };
}
//# sourceMappingURL=parseFile.js.map