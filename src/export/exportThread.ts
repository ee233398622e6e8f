/**
 * Runs the export pipeline in worker threads with their own database connections: trace
 * assembly, serialization and HTTP happen beside the intake, not in its way. One thread does both
 * stages (the agent: less memory), or two work side by side, one assembling traces into the
 * outbox and one sending it (`ingest`: a backfill has the cores to spare once it is read).
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

type Role = 'both' | 'assemble' | 'send';
type Op = 'stats' | 'drain' | 'stop';

function startWorker(dbPath: string, config: ExportConfig, role: Role, startAfter: number | undefined, log: ExportLog): (op: Op, ms?: number) => Promise<ExportStats> {
  const worker = new Worker(new URL('./exportWorker.js', import.meta.url), { workerData: { dbPath, config, startAfter, role } });
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
  return async (op, ms) => {
    const r = await new Promise<ExportStats>((resolve, reject) => {
      if (dead) { reject(dead); return; }
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, op, ms });
    });
    if (op === 'stop') await worker.terminate();
    return r;
  };
}

/** One view of both threads: the assembler's counts, the sender's deliveries and state; the outbox is shared. */
function merge(a: ExportStats, s: ExportStats): ExportStats {
  return { ...s, exportedTraces: a.exportedTraces, pendingRequests: a.pendingRequests };
}

export function startExportThread(dbPath: string, config: ExportConfig, opts: { log?: ExportLog; startAfter?: number; split?: boolean } = {}): ExportThread {
  const log = opts.log ?? (() => {});
  if (!opts.split) {
    const ask = startWorker(dbPath, config, 'both', opts.startAfter, log);
    return { stats: () => ask('stats'), drain: (ms) => ask('drain', ms), stop: () => ask('stop') };
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
  };
}
