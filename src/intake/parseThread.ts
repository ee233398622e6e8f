/**
 * A backfill can parse on a thread of its own while this thread writes (opt-in,
 * CLAW_TRACE_PARSE_THREAD=1: measured slower on 2 cores, see parseThreadWanted in backfill.ts;
 * reading, splitting and parsing are ~10-20% of `ingest`'s time, SQLite's inserts and commits
 * the rest). The worker reads the same file descriptor (one open per read: the
 * identity checked on it holds for every byte); batches commit here, in order, each with its
 * checkpoint in one transaction as on the one-thread path, so a kill loses nothing and repeats
 * nothing. Small files stay on one thread (a worker costs ~30 ms to start).
 *
 * Not turned on by core count either (issue 14; `bench:ingest -- --read-parse-only` prints the
 * figures): the writing thread, which sets a backfill's pace, spends ~1.0 µs of CPU receiving a
 * `combined` line from this thread against ~1.1-1.4 µs reading and parsing it itself, ~1.3 µs
 * against ~2-3 µs for a `claw_json` line, while a line costs the store ~20 µs (`combined`) and
 * ~40 µs (`claw_json`) on this machine. So with cores to spare (a builder's 8) the thread takes
 * 1-4% off a backfill's time, for 2-3x the CPU and +50-100 MB peak RSS; on 2 cores it lost
 * (35,400 lines/s against 42,600-48,200 for 1M `combined`, load ~5). Worth it again when the
 * store costs about what the parse does.
 */
import { Worker } from 'node:worker_threads';
import type { PreparedCommit } from '../store/recordIndex.js';
import type { BatchLimits, ParsedBatch, ParseFrom } from './parseLines.js';

/** A batch as the parse thread posts it: its writes prepared (prepare.ts), its records counted. */
export type PreparedBatch = Omit<ParsedBatch, 'lines'> & { prepared: PreparedCommit; records: number };

export const PARSE_THREAD_MIN_BYTES = 8 * 1024 * 1024;

export function parseInThread(
  fd: number,
  gzip: boolean,
  fileId: number,
  row: ParseFrom,
  o: BatchLimits,
  commit: (b: PreparedBatch) => void,
): Promise<{ offset: number; lineNo: number }> {
  const worker = new Worker(new URL('./parseWorker.js', import.meta.url), {
    workerData: {
      fd,
      gzip,
      fileId,
      row: { offset: row.offset, line_no: row.line_no, format: row.format, options: row.options },
      o,
    },
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(e);
    };
    worker.on('message', (m: { batch?: PreparedBatch; end?: { offset: number; lineNo: number } }) => {
      if (settled) return;
      if (m.end) {
        settled = true;
        void worker.terminate(); // everything is committed; its port would keep it waiting
        resolve(m.end);
        return;
      }
      try {
        commit(m.batch!);
        worker.postMessage('ack');
      } catch (e) {
        fail(e as Error);
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`the parse thread stopped (exit code ${code}) before the end of the file`)),
    );
  });
}
