/**
 * Runs the export pipeline in a worker thread with its own database connection: trace assembly,
 * serialization and HTTP happen beside the intake, not in its way.
 */
import { Worker } from 'node:worker_threads';
import type { ExportConfig } from './config.js';
import type { ExportLog, ExportStats } from './pipeline.js';

export interface ExportThread {
  stats(): Promise<ExportStats>;
  /** Exports every pending request now and waits (at most `ms`) until the outbox is empty. */
  drain(ms: number): Promise<ExportStats>;
  /** Stops the pipeline (what is not delivered stays in the outbox for next time). */
  stop(): Promise<ExportStats>;
}

export function startExportThread(dbPath: string, config: ExportConfig, opts: { log?: ExportLog; startAfter?: number } = {}): ExportThread {
  const log = opts.log ?? (() => {});
  const worker = new Worker(new URL('./exportWorker.js', import.meta.url), { workerData: { dbPath, config, startAfter: opts.startAfter } });
  let next = 0;
  const waiting = new Map<number, { resolve: (s: ExportStats) => void; reject: (e: Error) => void }>();
  let dead: Error | undefined;
  worker.on('message', (m: { id?: number; result?: ExportStats; error?: string; log?: { level: 'info' | 'warn'; msg: string; fields?: Record<string, unknown> } }) => {
    if (m.log) { log(m.log.level, m.log.msg, m.log.fields); return; }
    const w = waiting.get(m.id!);
    waiting.delete(m.id!);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result!);
  });
  const fail = (e: Error) => {
    dead = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the export thread exited (code ${code})`)));
  const ask = (op: 'stats' | 'drain' | 'stop', ms?: number) => new Promise<ExportStats>((resolve, reject) => {
    if (dead) { reject(dead); return; }
    const id = next++;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, ms });
  });
  return {
    stats: () => ask('stats'),
    drain: (ms) => ask('drain', ms),
    stop: async () => {
      const s = await ask('stop');
      await worker.terminate();
      return s;
    },
  };
}
