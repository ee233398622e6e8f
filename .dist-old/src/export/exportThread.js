/**
 * Runs the export pipeline in worker threads with their own database connections: trace
 * assembly, serialization and HTTP happen beside the intake, not in its way. One thread does both
 * stages (the agent: less memory), or two work side by side, one assembling traces into the
 * outbox and one sending it (`ingest`: a backfill has the cores to spare once it is read).
 */
import { Worker } from 'node:worker_threads';
/** `ask('stop')`, or the thread terminated when it has not stopped within `ms`. */
async function stopWithin(ask, ms) {
    if (ms === undefined)
        return ask('stop');
    let timer;
    const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    });
    const r = await Promise.race([ask('stop').catch(() => undefined), late]);
    clearTimeout(timer);
    if (r === undefined)
        await ask.terminate();
    return r;
}
function startWorker(dbPath, config, role, startAfter, log) {
    const worker = new Worker(new URL('./exportWorker.js', import.meta.url), {
        workerData: { dbPath, config, startAfter, role },
    });
    let next = 0;
    const waiting = new Map();
    let dead;
    worker.on('message', (m) => {
        if (m.log) {
            log(m.log.level, m.log.msg, m.log.fields);
            return;
        }
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error !== undefined)
            w?.reject(new Error(m.error));
        else
            w?.resolve(m.result);
    });
    const fail = (e) => {
        dead = e;
        for (const w of waiting.values())
            w.reject(e);
        waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the export thread exited (code ${code})`)));
    const ask = async (op, ms) => {
        const r = await new Promise((resolve, reject) => {
            if (dead) {
                reject(dead);
                return;
            }
            const id = next++;
            waiting.set(id, { resolve, reject });
            worker.postMessage({ id, op, ms });
        });
        if (op === 'stop')
            await worker.terminate();
        return r;
    };
    return Object.assign(ask, { terminate: () => worker.terminate() });
}
/** One view of both threads: the assembler's counts, the sender's deliveries and state; the outbox is shared. */
function merge(a, s) {
    return { ...s, exportedTraces: a.exportedTraces, pendingRequests: a.pendingRequests };
}
export function startExportThread(dbPath, config, opts = {}) {
    const log = opts.log ?? (() => { });
    if (!opts.split) {
        const ask = startWorker(dbPath, config, 'both', opts.startAfter, log);
        return {
            stats: () => ask('stats'),
            drain: (ms) => ask('drain', ms),
            stop: () => ask('stop'),
            stopWithin: (ms) => stopWithin(ask, ms),
        };
    }
    const assembler = startWorker(dbPath, config, 'assemble', opts.startAfter, log);
    const sender = startWorker(dbPath, config, 'send', opts.startAfter, log);
    return {
        stats: async () => merge(await assembler('stats'), await sender('stats')),
        drain: async (ms) => {
            const deadline = Date.now() + ms;
            const a = await assembler('drain', ms);
            return merge(a, await sender('drain', Math.max(0, deadline - Date.now())));
        },
        stop: async () => merge(await assembler('stop'), await sender('stop')),
        stopWithin: async (ms) => {
            const deadline = Date.now() + ms;
            const a = await stopWithin(assembler, ms);
            const s = await stopWithin(sender, deadline - Date.now());
            return a && s ? merge(a, s) : undefined;
        },
    };
}
//# sourceMappingURL=exportThread.js.map