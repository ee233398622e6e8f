/**
 * The parse thread of a backfill (see parseThread.ts): reads the file descriptor it is given from
 * the checkpoint, parses, prepares each batch's writes (prepare.ts: rows, sorted ID entries,
 * compressed blocks) and posts them, at most IN_FLIGHT batches ahead of the writer's
 * acknowledgements (bounded memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareCommit } from '../store/prepare.js';
import { type BatchLimits, type ParseFrom, parseLines, streamOfFd } from './parseLines.js';
import { packPrepared } from './parseWire.js';

export interface ParseJob {
  fd: number;
  gzip: boolean;
  /** The file's index row (its id makes the records' ids). */
  fileId: number;
  row: ParseFrom;
  o: BatchLimits;
}
export const IN_FLIGHT = 4;

const job = workerData as ParseJob;
const port = parentPort!;
let acked = 0;
let sent = 0;
let wake: (() => void) | undefined;
/** Whether this thread compresses the blocks: the writer says which of the two waits (parseThread.ts). */
let compress = true;
port.on('message', (m: { compress: boolean }) => {
  acked++;
  compress = m.compress;
  wake?.();
});

const end = await parseLines(streamOfFd(job.fd, job.gzip, job.row.offset), job.row, job.o, async (b) => {
  const errors = b.errors.map((e) => ({
    error: { reason: e.error.reason, detail: e.error.detail },
    offset: e.offset,
    lineNo: e.lineNo,
    line: e.line,
  }));
  const { prepared, transfer } = packPrepared(prepareCommit(job.fileId, b.lines, compress));
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
    transfer,
  );
  sent++;
  while (sent - acked >= IN_FLIGHT)
    await new Promise<void>((r) => {
      wake = r;
    });
});
port.postMessage({ end });
