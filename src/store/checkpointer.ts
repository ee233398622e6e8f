/**
 * The agent's WAL checkpoints: a PASSIVE checkpoint every `intervalMs` on the agent's own thread,
 * between its commits. SQLite would otherwise run one inside the commit that crosses its
 * automatic threshold (the index's walCheckpointMiB, 64 for the agent), copying up to 64 MiB and
 * holding up the API's thread for it (commits up to ~130 ms into a 10M-row index); that stays the
 * backstop. PASSIVE never waits: a reader or another checkpoint in the way leaves frames for the
 * next tick (SQLite calls no busy handler in that mode).
 *
 * From session 5 to 12 this ran on a worker thread with its own connection, when commits wrote
 * ~37x the log (every index leaf a random request ID touched) and a checkpoint of a few seconds of
 * them held the API's thread for tens of ms. Since the ID runs and line blocks (issue 14) a commit
 * writes ~1x the log, and a worker's isolate was most of what the agent's RSS had above its
 * target on Node 24 (121–124 MB with it, 106–110 without). Measured on the agent's thread at
 * 5,000 lines/s: a checkpoint every second p50 2.7–3.4 ms, max 5–6 ms (every 250 ms: p50 1.3,
 * max 3.6, twice the time in all); event loop delay p99 11 ms and the API's lookup p99 31–37 ms
 * under 50 clients either way (bench:agent). Each checkpoint's time is in /metrics
 * (`claw_trace_wal_checkpoint_seconds`): a disk whose fsync is slow shows there.
 */
import type { RecordIndex } from './recordIndex.js';

export const CHECKPOINT_INTERVAL_MS = 1000;

export interface Checkpointer {
  stop(): void;
}

export function startCheckpointer(
  index: RecordIndex,
  opts: { intervalMs?: number; onCheckpoint?: (seconds: number) => void; onError?: (e: Error) => void } = {},
): Checkpointer {
  let told = false;
  const timer = setInterval(() => {
    const t0 = performance.now();
    try {
      if (index.walCheckpoint() === 'done') opts.onCheckpoint?.((performance.now() - t0) / 1000);
    } catch (e) {
      // Said once: the automatic checkpoint inside the commits still bounds the WAL.
      if (told) return;
      told = true;
      opts.onError?.(new Error(`WAL checkpoint: ${(e as Error).message}`));
    }
  }, opts.intervalMs ?? CHECKPOINT_INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
