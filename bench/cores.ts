/**
 * What two threads get done on this machine against one: a fixed CPU-bound loop timed on one
 * thread, then on two side by side. A backfill runs its parse thread beside the writing thread
 * (src/intake/parseThread.ts), so its ceiling is the machine's, not 2x: on this project's 2-vCPU
 * VM the two ran 40-55% slower each side by side (1.3-1.45x the work of one thread), as two
 * hyperthreads of one core would. Printed by `bench:ingest` beside the backfill figures.
 */
import { Worker } from 'node:worker_threads';

const LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const a = new Float64Array(1 << 16);
let x = 0;
const t = process.hrtime.bigint();
for (let i = 0; i < workerData; i++) x += a[i & 65535] + (i % 7);
parentPort.postMessage({ ms: Number(process.hrtime.bigint() - t) / 1e6, x });
`;

function loop(iterations: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOOP, { eval: true, workerData: iterations });
    w.once('message', (m: { ms: number }) => {
      void w.terminate();
      resolve(m.ms);
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the loop's thread exited (${code}) without its time`)));
  });
}

/** Two threads' work per unit of time against one's (2.0: two full cores), median of `rounds`. */
export async function parallelCapacity(rounds = 3, iterations = 150_000_000): Promise<number> {
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const one = await loop(iterations);
    const two = Math.max(...(await Promise.all([loop(iterations), loop(iterations)])));
    ratios.push((2 * one) / two);
  }
  return ratios.sort((a, b) => a - b)[rounds >> 1]!;
}
