/**
 * The parse thread of a backfill (see parseThread.ts): reads the file descriptor it is given from
 * the checkpoint, parses, prepares each batch's writes (prepare.ts: rows, sorted ID entries,
 * compressed blocks) and posts them, at most `inFlight` batches ahead of the writer's
 * acknowledgements (bounded memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareCommit, transferables } from '../store/prepare.js';
import { type BatchLimits, type ParseFrom, parseLines, streamOfFd } from './parseLines.js';

export interface ParseJob {
  fd: number;
  gzip: boolean;
  /** The file's index row (its id makes the records' ids). */
  fileId: number;
  row: ParseFrom;
  o: BatchLimits;
  /** Batches posted and not yet acknowledged, at most (IN_FLIGHT in parseThread.ts). */
  inFlight: number;
}

const job = workerData as ParseJob;
const port = parentPort!;
let acked = 0;
let sent = 0;
let wake: (() => void) | undefined;
/**
 * Whether this thread compresses the next batch's blocks: the thread that waits for the other
 * does. While this one waits for the writer's acknowledgements (~0.5 ms a batch or more, on
 * average over the last few), it compresses; else it leaves the blocks to the writer
 * (compressBlocks, before its transaction). So the work settles where the two threads balance.
 */
let compress = true;
/** Moving average of the ms a batch waited for the writer. */
let waiting = 0;
const WAITING_MS = 0.5;
port.on('message', () => {
  acked++;
  wake?.();
});

const end = await parseLines(streamOfFd(job.fd, job.gzip, job.row.offset), job.row, job.o, async (b) => {
  const errors = b.errors.map((e) => ({
    error: { reason: e.error.reason, detail: e.error.detail },
    offset: e.offset,
    lineNo: e.lineNo,
    line: e.line,
  }));
  const prepared = prepareCommit(job.fileId, b.lines, compress);
  port.postMessage(
    {
      batch: {
        prepared,
        records: b.lines.length,
        errors,
        offset: b.offset,
        lineNo: b.lineNo,
        cut: b.cut,
        batchStart: b.batchStart,
      },
    },
    transferables(prepared), // typed arrays and blocks handed over; rows, keys and errors cloned
  );
  sent++;
  const t0 = performance.now();
  while (sent - acked >= job.inFlight)
    await new Promise<void>((r) => {
      wake = r;
    });
  waiting = 0.75 * waiting + 0.25 * (performance.now() - t0);
  compress = waiting > WAITING_MS;
});
port.postMessage({ end });
