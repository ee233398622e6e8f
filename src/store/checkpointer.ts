/**
 * The agent's WAL checkpoints: a PASSIVE checkpoint every `intervalMs`, on the agent's own thread
 * between its commits, or on a thread of its own where this disk makes them slow. SQLite would
 * otherwise run one inside the commit that crosses its automatic threshold (the index's
 * walCheckpointMiB, 64 for the agent), copying up to 64 MiB and holding up the API's thread for
 * it (commits up to 74–130 ms into a 1M–10M-row index); that stays the backstop. PASSIVE never
 * waits: a reader or another checkpoint in the way leaves frames for the next tick (SQLite calls
 * no busy handler in that mode).
 *
 * From session 5 to 12 they ran on a worker thread with its own connection, when commits wrote
 * ~37x the log and a checkpoint of a few seconds of them held the API's thread for tens of ms.
 * Since the ID runs and line blocks (issue 14) a commit writes ~1x the log, and the worker's
 * isolate was most of what Node 24's agent had above its RSS target (122–125 MB with it, 107–109
 * without). On the agent's thread at 5,000 lines/s: a checkpoint every second p50 3–7 ms, max
 * 5–25 ms on this VM's disk; event loop delay p99 and the API's lookup p99 unchanged
 * (bench:agent). But a checkpoint ends with fsyncs, and on a slow disk (session 11's VM) one
 * took up to 196–255 ms: after SLOW_CHECKPOINTS checkpoints over SLOW_CHECKPOINT_MS within
 * SLOW_WINDOW_MS the checkpoints move to a worker (checkpointWorker.ts) for good, which costs that
 * RSS instead (and back here, for good, should that thread fail).
 * Each checkpoint's time is in /metrics (`claw_trace_wal_checkpoint_seconds`).
 */
import { Worker } from 'node:worker_threads';
import type { RecordIndex } from './recordIndex.js';

export const CHECKPOINT_INTERVAL_MS = 1000;
/** A checkpoint this slow holds the API's thread too long. */
export const SLOW_CHECKPOINT_MS = 100;
/** So many slow ones within SLOW_WINDOW_MS and the checkpoints move to a thread. */
export const SLOW_CHECKPOINTS = 3;
export const SLOW_WINDOW_MS = 10 * 60_000;

export interface Checkpointer {
  /** Where checkpoints run now (back on the agent's thread for good if the thread failed). */
  readonly where: 'inline' | 'thread';
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  slowMs?: number;
  slowCount?: number;
  /** Each checkpoint's time, wherever it ran (not those another checkpoint kept from running). */
  onCheckpoint?: (seconds: number) => void;
  /** The checkpoints moved to a thread, after these slow ones (ms). */
  onThread?: (slowMs: number[]) => void;
  /** Said once per place: the automatic checkpoint inside the commits still bounds the WAL. */
  onError?: (e: Error) => void;
}

export function startCheckpointer(index: RecordIndex, opts: CheckpointerOptions = {}): Checkpointer {
  const intervalMs = opts.intervalMs ?? CHECKPOINT_INTERVAL_MS;
  const slowMs = opts.slowMs ?? SLOW_CHECKPOINT_MS;
  const slowCount = opts.slowCount ?? SLOW_CHECKPOINTS;
  /** Slow checkpoints of the last SLOW_WINDOW_MS: when, and how long. */
  let slow: { at: number; ms: number }[] = [];
  let told = false;
  let worker: Worker | undefined;
  let exited: Promise<void> | undefined;
  let stopped = false;
  /** The thread failed once: checkpoints stay here. */
  let threadFailed = false;
  let timer: NodeJS.Timeout | undefined;
  const state: { where: 'inline' | 'thread'; stop(): Promise<void> } = {
    where: 'inline',
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (worker) {
        const w = worker;
        w.ref(); // until it has closed its connection
        w.postMessage('stop');
        await exited;
      }
    },
  };

  const inline = () => {
    state.where = 'inline';
    timer = setInterval(tick, intervalMs);
    timer.unref();
  };
  const backInline = (e: Error) => {
    if (threadFailed || stopped) return;
    threadFailed = true;
    worker = undefined;
    told = false; // this thread's errors are said again
    opts.onError?.(new Error(`${e.message}; checkpoints are back on the agent's thread`));
    inline();
  };
  const toThread = () => {
    clearInterval(timer);
    opts.onThread?.(slow.map((x) => x.ms));
    const w = new Worker(new URL('./checkpointWorker.js', import.meta.url), {
      workerData: { file: index.file, intervalMs },
    });
    worker = w;
    state.where = 'thread';
    w.on('message', (m: { error?: string; seconds?: number }) => {
      if (m.error) opts.onError?.(new Error(m.error));
      else if (m.seconds !== undefined) opts.onCheckpoint?.(m.seconds);
    });
    w.on('error', (e) => backInline(new Error(`the WAL checkpoint thread failed: ${e.message}`)));
    exited = new Promise<void>((resolve) =>
      w.once('exit', (code) => {
        if (!stopped) backInline(new Error(`the WAL checkpoint thread stopped (exit code ${code})`));
        resolve();
      }),
    );
    w.unref(); // after its listeners: adding one refs the worker again
  };
  function tick(): void {
    const t0 = performance.now();
    try {
      if (index.walCheckpoint() !== 'done') return;
    } catch (e) {
      if (told) return;
      told = true;
      opts.onError?.(new Error(`WAL checkpoint: ${(e as Error).message}`));
      return;
    }
    const ms = performance.now() - t0;
    opts.onCheckpoint?.(ms / 1000);
    if (ms < slowMs || threadFailed || stopped) return;
    const now = Date.now();
    slow = slow.filter((x) => now - x.at < SLOW_WINDOW_MS);
    slow.push({ at: now, ms });
    if (slow.length < slowCount) return;
    try {
      toThread();
    } catch (e) {
      backInline(e as Error);
    }
  }
  inline();
  return state;
}
