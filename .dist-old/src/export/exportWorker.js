/** The export pipeline in a worker thread (see exportThread.ts for the other side). */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ExportPipeline } from './pipeline.js';
const { dbPath, config, startAfter, role } = workerData;
const port = parentPort;
// Export yields the CPU to the intake: on Linux this thread alone gets the lower priority (the
// intake keeps its speed during a backfill; export catches up while the intake waits for lines).
try {
    setPriority(10);
}
catch {
    // not permitted or not supported: run at the normal priority
}
const pipeline = new ExportPipeline(dbPath, config, {
    startAfter,
    role,
    log: (level, msg, fields) => port.postMessage({ log: { level, msg, fields } }),
});
pipeline.start();
port.on('message', (req) => {
    void (async () => {
        try {
            if (req.op === 'stats')
                port.postMessage({ id: req.id, result: pipeline.stats() });
            else if (req.op === 'drain')
                port.postMessage({ id: req.id, result: await pipeline.drain(req.ms ?? 0) });
            else {
                const result = pipeline.stats();
                await pipeline.stop();
                port.postMessage({ id: req.id, result });
                port.close();
            }
        }
        catch (e) {
            port.postMessage({ id: req.id, error: e.message });
        }
    })();
});
//# sourceMappingURL=exportWorker.js.map