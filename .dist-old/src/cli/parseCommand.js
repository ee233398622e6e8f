/**
 * `claw-trace parse <file...>`: records as NDJSON on stdout, a summary of what could not be read
 * on stderr. How a user checks that their logs are understood before running the agent.
 */
import pc from 'picocolors';
import { STDIN } from '../read/lineReader.js';
import { emptyStats, parseFile, UnknownFormatError } from '../read/parseFile.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
/** Buffers stdout writes and respects backpressure (a pipe into `head` or `jq` must not grow memory). */
class Output {
    stream;
    buf = '';
    constructor(stream) {
        this.stream = stream;
    }
    async write(s) {
        this.buf += s;
        if (this.buf.length >= 64 * 1024)
            await this.flush();
    }
    async flush() {
        if (this.buf.length === 0)
            return;
        const ok = this.stream.write(this.buf);
        this.buf = '';
        if (!ok)
            await new Promise((resolve) => this.stream.once('drain', resolve));
    }
}
export function formatSummary(s, color) {
    const c = color
        ? pc
        : {
            bold: (x) => x,
            yellow: (x) => x,
            dim: (x) => x,
            red: (x) => x,
            green: (x) => x,
        };
    const file = terminalSafe(displayName(s.file), 300);
    const head = `${c.bold(file)}: ${s.format}${s.detected ? ' (detected)' : ''}, ${s.lines} lines, ${c.green(String(s.records))} records, ${s.errors ? c.red(String(s.errors)) : '0'} unreadable`;
    const out = [head];
    for (const [reason, r] of Object.entries(s.byReason)) {
        out.push(`  ${c.yellow(reason.padEnd(18))} ${String(r.count).padStart(7)}  first at ${file}:${r.first.lineNo}: ${terminalSafe(r.first.detail, 160)}`);
    }
    if (s.invalidUtf8)
        out.push(`  ${c.dim(`${s.invalidUtf8} ${s.invalidUtf8 === 1 ? 'line has' : 'lines have'} bytes that are not UTF-8 (kept, shown as U+FFFD)`)}`);
    if (s.partialLastLine)
        out.push(`  ${c.dim('the last line has no newline yet (the file may be being written)')}`);
    return out.join('\n');
}
/**
 * Reads every file, each with its own summary (or the reason it could not be read). Returns the
 * exit code of the worst file: 0 read, 1 lines but no record (wrong format?), 2 not readable at
 * all (missing, a directory, no format detected).
 */
export async function runParse(files, opts, stdout, stderr) {
    const out = new Output(stdout);
    const color = stderr.isTTY === true && !process.env.NO_COLOR;
    let code = 0;
    for (const file of files) {
        const stats = emptyStats(file);
        try {
            for await (const item of parseFile(file, opts, stats)) {
                if (item.kind === 'record') {
                    if (!opts.summaryOnly)
                        await out.write(`${terminalSafeJson(item.record)}\n`);
                }
                else if (opts.errors) {
                    stderr.write(`${terminalSafe(displayName(file), 300)}:${item.line.lineNo}: ${item.error.reason}: ${terminalSafe(item.error.detail, 200)}\n`);
                }
            }
        }
        catch (e) {
            const why = fileError(file, e);
            if (why === undefined)
                throw e; // not about this file (a bad --log-format): every file would fail alike
            await out.flush();
            stderr.write(`claw-trace: ${why}\n`);
            code = 2;
            continue;
        }
        await out.flush();
        stderr.write(`${formatSummary(stats, color)}\n`);
        if (stats.lines > 0 && stats.records === 0)
            code = Math.max(code, 1);
    }
    await out.flush();
    return code;
}
const displayName = (file) => (file === STDIN ? 'stdin' : file);
/** What went wrong with one file, naming it; undefined for errors that are not about the file. */
export function fileError(file, e) {
    const name = terminalSafe(displayName(file), 300);
    if (e instanceof UnknownFormatError)
        return terminalSafe(file === STDIN ? e.message.replace(/^-: /, 'stdin: ') : e.message, 500);
    switch (e.code) {
        case 'ENOENT':
            return `${name}: no such file`;
        case 'EISDIR':
            return `${name} is a directory: give the log files in it (e.g. "${name.replace(/\/$/, '')}/*.log")`;
        case 'EACCES':
        case 'EPERM':
            return `${name}: permission denied (nginx's logs are readable by the adm group: sudo, or add yourself to adm)`;
        case 'ENOTDIR':
            return `${name}: a part of the path is not a directory`;
        default:
            return e.code ? `${name}: ${terminalSafe(e.message, 300)}` : undefined;
    }
}
//# sourceMappingURL=parseCommand.js.map