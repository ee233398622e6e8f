/** A query thread (see queryPool.ts): its own read-only connection to the index, one query at a time. */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { RecordIndex } from '../store/recordIndex.js';
import { runQuery } from './queries.js';
const { file } = workerData;
// Queries yield the CPU to the agent's own thread (the intake, /healthz): on Linux this thread
// alone gets the lower priority, as the export thread does.
try {
    setPriority(10);
}
catch {
    // not permitted or not supported: the normal priority
}
// A small page cache: the agent's main connection has its own, and RSS adds up per thread.
const index = new RecordIndex(file, { cacheMiB: 8 });
index.queryOnly(); // read-only: a bug here can never write to the index
const port = parentPort;
port.on('message', (m) => {
    if (m.stop) {
        index.close();
        port.close();
        return;
    }
    try {
        port.postMessage({ id: m.id, result: runQuery(index, m.q) });
    }
    catch (e) {
        port.postMessage({ id: m.id, error: e.message });
    }
});
//# sourceMappingURL=queryWorker.js.map