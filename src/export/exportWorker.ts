/** The export pipeline in a worker thread (see exportThread.ts for the other side). */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExportConfig } from './config.js';
import { ExportPipeline } from './pipeline.js';

interface Request {
  id: number;
  op: 'stats' | 'drain' | 'stop';
  ms?: number;
}
const { dbPath, config, startAfter, role } = workerData as {
  dbPath: string;
  config: ExportConfig;
  startAfter?: number;
  role?: 'both' | 'assemble' | 'send';
};
const port = parentPort!;
// Export yields the CPU to the intake: on Linux this thread alone gets the lower priority (the
// intake keeps its speed during a backfill; export catches up while the intake waits for lines).
try {
  setPriority(10);
} catch {
  // not permitted or not supported: run at the normal priority
}
const pipeline = new ExportPipeline(dbPath, config, {
  startAfter,
  role,
  log: (level, msg, fields) => port.postMessage({ log: { level, msg, fields } }),
});
pipeline.start();
port.on('message', (req: Request) => {
  void (async () => {
    try {
      if (req.op === 'stats') port.postMessage({ id: req.id, result: pipeline.stats() });
      else if (req.op === 'drain') port.postMessage({ id: req.id, result: await pipeline.drain(req.ms ?? 0) });
      else {
        const result = pipeline.stats();
        await pipeline.stop();
        port.postMessage({ id: req.id, result });
        port.close();
      }
    } catch (e) {
      port.postMessage({ id: req.id, error: (e as Error).message });
    }
  })();
});
