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
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { PreparedCommit } from '../store/recordIndex.js';
import type { BatchLimits, ParsedBatch, ParseFrom } from './parseLines.js';

/** A batch as the parse thread posts it: its writes prepared (prepare.ts), its records counted. */
export type PreparedBatch = Omit<ParsedBatch, 'lines'> & { prepared: PreparedCommit; records: number };

export const PARSE_THREAD_MIN_BYTES = 8 * 1024 * 1024;
/** The parse thread's V8 semi-space (young generation), MiB. */
export const PARSE_THREAD_SEMI_SPACE_MB = 16;

export function parseInThread(
  fd: number,
  gzip: boolean,
  fileId: number,
  row: ParseFrom,
  o: BatchLimits,
  commit: (batches: PreparedBatch[]) => void,
): Promise<{ offset: number; lineNo: number }> {
  // The #! line's 4 MiB semi-spaces suit the agent's RSS, but the parse thread's young objects
  // (a batch's lines and records) then outlive them: 31% of its time went to GC, 1M `combined`
  // lines 176,000-232,000 lines/s against 264,000-300,000 with 16 MiB (+0-10 MB RSS; 32: no
  // faster, +30 MB). A V8 flag set now configures the heap of the isolates made after it, this
  // one; `resourceLimits.maxYoungGenerationSizeMb` measured no different (the flag wins).
  v8.setFlagsFromString(`--max-semi-space-size=${PARSE_THREAD_SEMI_SPACE_MB}`);
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
    /** Batches received, committed together once the messages waiting have all arrived. */
    let pending: PreparedBatch[] = [];
    let end: { offset: number; lineNo: number } | undefined;
    let scheduled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(e);
    };
    const flush = () => {
      scheduled = false;
      if (settled) return;
      const batches = pending;
      pending = [];
      try {
        if (batches.length > 0) commit(batches);
        for (let i = 0; i < batches.length; i++) worker.postMessage('ack');
      } catch (e) {
        fail(e as Error);
        return;
      }
      if (end !== undefined) {
        settled = true;
        void worker.terminate(); // everything is committed; its port would keep it waiting
        resolve(end);
      }
    };
    worker.on('message', (m: { batch?: PreparedBatch; end?: { offset: number; lineNo: number } }) => {
      if (settled) return;
      if (m.end) end = m.end;
      else pending.push(m.batch!);
      // After the messages already queued (at most IN_FLIGHT batches): all of them in one commit.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`the parse thread stopped (exit code ${code}) before the end of the file`)),
    );
  });
}
