/** The checkpointer's thread (see checkpointer.ts): a PASSIVE WAL checkpoint every interval. */
import { parentPort, workerData } from 'node:worker_threads';
import Database from './sqlite.js';
const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
let told = false;
const timer = setInterval(() => {
    try {
        db.pragma('wal_checkpoint(PASSIVE)');
    }
    catch (e) {
        // SQLITE_BUSY: another checkpoint runs (a backstop in the writer); the next tick tries again.
        if (e.code === 'SQLITE_BUSY' || told)
            return;
        told = true;
        parentPort.postMessage({ error: `WAL checkpoint: ${e.message}` });
    }
}, intervalMs);
parentPort.on('message', () => {
    clearInterval(timer);
    db.close();
    parentPort.close();
});
//# sourceMappingURL=checkpointWorker.js.map