/**
 * `claw-trace ingest [--db PATH] <files or globs...>`: backfill logs (plain and .gz) into the
 * index with the same parsers and the same intake as the agent. Re-running adds nothing twice.
 * The reading itself: src/intake/backfill.ts; this finds the files and shows the progress.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { glob, isDynamicPattern } from 'tinyglobby';
import { exportRequested } from '../export/requested.js';
import { backfill } from '../intake/backfill.js';
import { terminalSafe } from '../util/terminalText.js';
import { UsageError } from './errors.js';
/** Files named or matched, oldest first (so rotated archives come before the live file). */
export async function expandFiles(patterns) {
    const found = new Set();
    for (const p of patterns) {
        if (isDynamicPattern(p)) {
            const matches = await glob(p, { absolute: true, onlyFiles: true });
            if (matches.length === 0)
                throw new UsageError(`no file matches ${terminalSafe(p, 300)}`);
            for (const m of matches)
                found.add(m);
        }
        else {
            const s = await stat(p).catch(() => undefined);
            if (!s)
                throw new UsageError(`${terminalSafe(p, 300)}: no such file`);
            if (s.isDirectory())
                throw new UsageError(`${terminalSafe(p, 300)} is a directory: give the log files in it (e.g. "${terminalSafe(p, 300).replace(/\/$/, '')}/*.log")`);
            if (!s.isFile())
                throw new UsageError(`${terminalSafe(p, 300)} is not a file`);
            found.add(path.resolve(p));
        }
    }
    const withTime = await Promise.all([...found].map(async (f) => ({ f, s: await stat(f) })));
    return withTime.sort((a, b) => a.s.mtimeMs - b.s.mtimeMs || a.f.localeCompare(b.f)).map((x) => x.f);
}
export async function runIngest(patterns, opts, stdout, stderr) {
    const files = await expandFiles(patterns);
    // The OTel packages load only when an endpoint may be configured (they cost ~25 MB of memory).
    let exportConfig;
    if (exportRequested(opts.export ?? {})) {
        const { resolveExport, ExportConfigError } = await import('../export/config.js');
        try {
            exportConfig = resolveExport(opts.export ?? {}, { hostName: hostname() }).config;
        }
        catch (e) {
            if (e instanceof ExportConfigError)
                throw new UsageError(e.message);
            throw e;
        }
    }
    const tty = stderr.isTTY === true && !opts.json;
    const bar = tty
        ? new cliProgress.SingleBar({
            stream: stderr,
            format: '{bar} {percentage}% | {done}/{size} MB | {lps} lines/s | ETA {eta_formatted} | {file}',
            hideCursor: true,
            etaBuffer: 20,
        }, cliProgress.Presets.shades_classic)
        : undefined;
    const started = process.hrtime.bigint();
    let summary;
    try {
        summary = await backfill(files, { ...opts, exportConfig }, {
            start: (total) => bar?.start(Math.max(total, 1), 0, { done: '0.0', size: (total / 1e6).toFixed(1), lps: 0, file: '' }),
            progress: (done, lines, file) => {
                const secs = Number(process.hrtime.bigint() - started) / 1e9;
                bar?.update(done, {
                    done: (done / 1e6).toFixed(1),
                    lps: Math.round(lines / Math.max(secs, 1e-3)),
                    file: terminalSafe(file, 40),
                });
            },
            exportedBy: (pid) => {
                if (!opts.json)
                    stderr.write(`claw-trace: export: the claw-trace process ${pid} (the agent) exports this index and sends these traces; this ingest does not export them again\n`);
            },
            exportWarning: (msg) => {
                if (!opts.json)
                    stderr.write(`claw-trace: ${terminalSafe(msg, 500)}\n`);
            },
            draining: (url) => {
                if (tty)
                    stderr.write(`exporting traces to ${terminalSafe(url, 300)} ...\n`);
            },
        });
    }
    finally {
        bar?.stop();
    }
    if (opts.json) {
        stdout.write(`${JSON.stringify(summary)}\n`);
    }
    else {
        for (const f of summary.files) {
            const what = f.skipped === 'empty'
                ? 'empty'
                : f.skipped === 'unknown-format'
                    ? 'skipped: no known format reads its first lines (name one with --format)'
                    : `${f.format}, ${f.lines} new lines, ${f.records} records${Object.keys(f.errors).length
                        ? `, unreadable: ${Object.entries(f.errors)
                            .map(([k, v]) => `${k} ${v}`)
                            .join(', ')}`
                        : ''}${f.gap ? ', truncated in place since the last read (lines may be missing)' : ''}`;
            stderr.write(`${terminalSafe(f.file, 300)}: ${what}\n`);
        }
        const errs = Object.entries(summary.errors)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
        const x = summary.export;
        if (x) {
            stderr.write(`exported ${x.exportedTraces} traces to ${terminalSafe(x.url, 300)}: ${x.deliveredSpans} spans delivered` +
                (x.waitingSpans
                    ? `, ${x.waitingSpans} still waiting in the outbox (${terminalSafe(x.lastError ?? 'not accepted in time', 300)}); the agent or the next ingest delivers them`
                    : '') +
                (x.droppedSpans ? `; ${x.droppedSpans} dropped over the outbox cap` : '') +
                '\n');
        }
        stderr.write(`ingested ${summary.lines} lines (${summary.records} records${errs ? `; unreadable: ${errs}` : ''}) from ${files.length} files into ${terminalSafe(opts.db, 300)} in ${summary.seconds.toFixed(2)} s, ${summary.linesPerSecond.toLocaleString('en-US')} lines/s\n`);
    }
    return ingestExitCode(summary);
}
/**
 * 0 when something was read (or nothing was new: a second run); 2 when no file could be read
 * because no format reads it (as `parse` says for the same file); 1 when files had lines but not
 * one became a record (the wrong --format or --log-format?).
 */
export function ingestExitCode(s) {
    if (s.records > 0 || s.files.length === 0)
        return 0;
    if (s.files.every((f) => f.skipped === 'unknown-format' || f.skipped === 'empty') &&
        s.files.some((f) => f.skipped === 'unknown-format'))
        return 2;
    return s.lines > 0 ? 1 : 0;
}
//# sourceMappingURL=ingestCommand.js.map