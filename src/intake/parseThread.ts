/**
 * A backfill reads, parses and prepares its writes on a thread of its own while this thread
 * writes (where there is a second core: parseThreadWanted in backfill.ts). The worker reads the
 * same file descriptor (one open per read: the identity checked on it holds for every byte) and
 * makes each batch's rows, sorted ID entries and blocks (prepare.ts); here they are inserted, in
 * order, each with its checkpoint, COMMIT_GROUP of them (or what is left at the end) in one
 * transaction, so a kill loses nothing and repeats nothing. Small files stay on one thread (a
 * worker costs ~30 ms to start). Until the writes were prepared there (session 8) the thread only parsed, and this thread
 * rebuilt every line and did the rest: on 2 cores the thread lost, and the README's Speed section
 * has both sets of figures.
 */
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { PreparedCommit } from '../store/recordIndex.js';
import type { BatchLimits, ParsedBatch, ParseFrom } from './parseLines.js';
import type { ParseJob } from './parseWorker.js';

/** A batch as the parse thread posts it: its writes prepared (prepare.ts), its records counted. */
export type PreparedBatch = Omit<ParsedBatch, 'lines'> & { prepared: PreparedCommit; records: number };

export const PARSE_THREAD_MIN_BYTES = 8 * 1024 * 1024;
/**
 * Batches committed together (one transaction, each with its checkpoint), unless the file's end
 * comes first. A bulk load's commit costs ~4 fsyncs (its journal, reopened each time with an fsync
 * of the folder, and the database) whatever it holds: a commit per batch as it came, ~100 for
 * 180,000 `claw_json` lines, left the writer waiting on the disk. In groups of 4, with the parse
 * thread up to IN_FLIGHT batches ahead, interleaved pairs: `claw_json` +4–9%, 1M `combined`
 * +4–16%, peak RSS +2–7 MB.
 */
export const COMMIT_GROUP = 4;
/**
 * Batches the parse thread posts and the writer has not committed, at most (parseWorker.ts waits
 * beyond): twice a group, so that it fills the next group while the writer commits one, and never
 * waits for a group that cannot fill.
 */
export const IN_FLIGHT = 2 * COMMIT_GROUP;
/** The parse thread's V8 semi-space (young generation), MiB. */
export const PARSE_THREAD_SEMI_SPACE_MB = 16;

/** The semi-space size the process was started with (`--max-semi-space-size`; 0: V8's default). */
function startedWithSemiSpaceMb(): number {
  // NODE_OPTIONS first: the command line overrides it.
  const flags = [...(process.env.NODE_OPTIONS?.split(/\s+/) ?? []), ...process.execArgv];
  let mb = 0;
  for (const f of flags) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(f);
    if (m) mb = Number(m[1]);
  }
  return mb;
}

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
  // V8's flags are the process's: once the worker's heap is made, this one goes back to what the
  // process was started with (0: V8's default), or every thread made later (the export thread
  // after a bulk load) would get it too.
  v8.setFlagsFromString(`--max-semi-space-size=${PARSE_THREAD_SEMI_SPACE_MB}`);
  const worker = new Worker(new URL('./parseWorker.js', import.meta.url), {
    workerData: {
      fd,
      gzip,
      fileId,
      row: { offset: row.offset, line_no: row.line_no, format: row.format, options: row.options },
      o,
      inFlight: IN_FLIGHT,
    } satisfies ParseJob,
  });
  const restore = () => v8.setFlagsFromString(`--max-semi-space-size=${startedWithSemiSpaceMb()}`);
  worker.once('online', restore);
  worker.once('exit', restore); // if it never came online
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
      // A group, or what is left at the end: all the batches waiting in one commit (after the
      // messages already queued).
      if (!scheduled && (pending.length >= COMMIT_GROUP || end !== undefined)) {
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
