/**
 * A backfill can parse on a thread of its own while this thread writes (opt-in,
 * CLAW_TRACE_PARSE_THREAD=1: measured slower on 2 cores, see parseThreadWanted in backfill.ts;
 * reading, splitting and parsing are ~10-20% of `ingest`'s time, SQLite's inserts and commits
 * the rest). The worker reads the same file descriptor (one open per read: the
 * identity checked on it holds for every byte); batches commit here, in order, each with its
 * checkpoint in one transaction as on the one-thread path, so a kill loses nothing and repeats
 * nothing. Small files stay on one thread (a worker costs ~30 ms to start).
 */
import { Worker } from 'node:worker_threads';
import type { RecordFields } from '../store/recordIndex.js';
import type { BatchLimits, ParsedBatch, ParseFrom } from './parseLines.js';
import { unpackLines, type WireBatch } from './parseWire.js';

export const PARSE_THREAD_MIN_BYTES = 8 * 1024 * 1024;

export function parseInThread(
  fd: number,
  gzip: boolean,
  row: ParseFrom,
  o: BatchLimits,
  commit: (b: ParsedBatch<RecordFields>) => void,
): Promise<{ offset: number; lineNo: number }> {
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
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(e);
    };
    worker.on('message', (m: { batch?: WireBatch; end?: { offset: number; lineNo: number } }) => {
      if (settled) return;
      if (m.end) {
        settled = true;
        void worker.terminate(); // everything is committed; its port would keep it waiting
        resolve(m.end);
        return;
      }
      try {
        const b = m.batch!;
        commit({ ...b, lines: unpackLines(b.lines) });
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
