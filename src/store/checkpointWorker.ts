/**
 * The checkpointer's thread, where checkpoints on the agent's own thread were slow (see
 * checkpointer.ts): a PASSIVE WAL checkpoint every interval from its own connection, each timed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from './sqlite.js';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
let told = false;
const timer = setInterval(() => {
  try {
    const t0 = performance.now();
    const r = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number }[];
    // Busy: another checkpoint ran (a backstop in the writer); not timed, as on the agent's thread.
    if (!r[0]?.busy) parentPort!.postMessage({ seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY' || told) return;
    told = true;
    parentPort!.postMessage({ error: `WAL checkpoint: ${(e as Error).message}` });
  }
}, intervalMs);
parentPort!.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
