/**
 * A backfill (`claw-trace ingest`): files read oldest first into the index with the same intake
 * as the agent; a bulk load (pages written once through a rollback journal when no other process
 * has the index open) when the input is large against the index; the OTLP export of what was read, unless an agent already exports this index.
 * What it says while it works goes through `events`: the command decides how to show it.
 */
import { stat } from 'node:fs/promises';
import { RecordIndex } from '../store/recordIndex.js';
import { usedBytes } from '../store/retention.js';
import { intakeFile } from './intakeFile.js';
/** Below this much input, switching the journal is not worth it. */
export const BULK_MIN_BYTES = 64 * 1024 * 1024;
export async function backfill(files, opts, events = {}) {
    const total = (await Promise.all(files.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
    const exportConfig = opts.exportConfig;
    const index = new RecordIndex(opts.db);
    const bulk = opts.bulk === 'always' ||
        ((opts.bulk ?? 'auto') === 'auto' && total >= BULK_MIN_BYTES && total >= usedBytes(index));
    let exportedBy;
    const startExport = async (startAfter) => {
        if (!exportConfig)
            return undefined;
        // An agent exporting this index sends what this ingest commits: a second exporter would not.
        const { openOutboxDatabase, otherExporter } = await import('../export/outbox.js');
        const odb = openOutboxDatabase(opts.db);
        exportedBy = otherExporter(odb);
        odb.close();
        if (exportedBy !== undefined) {
            events.exportedBy?.(exportedBy);
            return undefined;
        }
        const { startExportThread } = await import('../export/exportThread.js');
        return startExportThread(opts.db, exportConfig, {
            startAfter,
            split: true, // a backfill: assembling and sending side by side once the files are read
            log: (level, msg) => {
                if (level === 'warn')
                    events.exportWarning?.(msg);
            },
        });
    };
    const exportFrom = index.lastBatch();
    let bulkJournal;
    // During a bulk load the export thread starts after it: its connection would keep the load in WAL.
    let exporting;
    if (bulk)
        bulkJournal = index.beginBulkLoad();
    else
        exporting = await startExport(exportFrom);
    const started = process.hrtime.bigint();
    const summary = {
        db: opts.db,
        files: [],
        lines: 0,
        records: 0,
        errors: {},
        bytes: 0,
        seconds: 0,
        linesPerSecond: 0,
        maxRssMB: 0,
    };
    let done = 0;
    let linesSoFar = 0;
    events.start?.(total);
    try {
        for (const file of files) {
            const size = (await stat(file)).size;
            let fileDone = 0;
            const r = await intakeFile(index, file, {
                ...opts,
                // Parsing on its own thread (CLAW_TRACE_PARSE_THREAD=0: on this one, for comparison).
                parseThread: process.env.CLAW_TRACE_PARSE_THREAD !== '0',
                onProgress: (bytes) => {
                    // A .gz reports decompressed bytes: scale them to the file's share of the bar.
                    fileDone = Math.min(size, fileDone + bytes);
                    events.progress?.(done + fileDone, linesSoFar, file);
                },
            });
            done += size;
            linesSoFar += r.lines;
            summary.files.push({
                file: r.file,
                format: r.format,
                lines: r.lines,
                records: r.records,
                errors: r.errors,
                skipped: r.skipped,
                gap: r.gap !== undefined || undefined,
            });
            summary.lines += r.lines;
            summary.records += r.records;
            summary.bytes += r.bytes;
            for (const [k, v] of Object.entries(r.errors))
                summary.errors[k] = (summary.errors[k] ?? 0) + v;
            events.progress?.(done, linesSoFar, file);
        }
    }
    catch (e) {
        await exporting?.stop().catch(() => undefined);
        throw e;
    }
    finally {
        if (bulk)
            index.endBulkLoad();
        index.close();
    }
    if (bulk)
        exporting = await startExport(exportFrom);
    summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    summary.linesPerSecond = Math.round(summary.lines / Math.max(summary.seconds, 1e-6));
    summary.exportedBy = exportedBy;
    if (bulkJournal)
        summary.bulk = { journal: bulkJournal };
    if (exporting && exportConfig) {
        events.draining?.(exportConfig.url);
        await exporting.drain(opts.exportWaitMs ?? 60_000);
        const s = await exporting.stop(); // the figures at the stop: what was delivered and what still waits
        summary.export = {
            url: exportConfig.url,
            exportedTraces: s.exportedTraces,
            deliveredSpans: s.deliveredSpans,
            waitingSpans: s.spans,
            droppedSpans: s.droppedSpans,
            lastError: s.lastError,
        };
    }
    summary.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    return summary;
}
//# sourceMappingURL=backfill.js.map