/**
 * A backfill parses on a thread of its own while this thread writes: reading, splitting and
 * parsing lines was about 40% of `ingest`'s time, SQLite's inserts and commits the rest, and a
 * builder has cores to spare. The worker reads the same file descriptor (one open per read: the
 * identity checked on it holds for every byte); batches commit here, in order, each with its
 * checkpoint in one transaction as on the one-thread path, so a kill loses nothing and repeats
 * nothing. Small files stay on one thread (a worker costs ~30 ms to start).
 */
import { Worker } from 'node:worker_threads';
export const PARSE_THREAD_MIN_BYTES = 8 * 1024 * 1024;
export function parseInThread(fd, gzip, row, o, commit) {
    const worker = new Worker(new URL('./parseWorker.js', import.meta.url), {
        workerData: {
            fd,
            gzip,
            row: { offset: row.offset, line_no: row.line_no, format: row.format, options: row.options },
            o,
        },
    });
    return new Promise((resolve, reject) => {
        let settled = false;
        const fail = (e) => {
            if (settled)
                return;
            settled = true;
            void worker.terminate();
            reject(e);
        };
        worker.on('message', (m) => {
            if (settled)
                return;
            if (m.end) {
                settled = true;
                void worker.terminate(); // everything is committed; its port would keep it waiting
                resolve(m.end);
                return;
            }
            try {
                commit(m.batch);
                worker.postMessage('ack');
            }
            catch (e) {
                fail(e);
            }
        });
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`the parse thread stopped (exit code ${code}) before the end of the file`)));
    });
}
//# sourceMappingURL=parseThread.js.map