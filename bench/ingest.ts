/**
 * Backfill and live speed (issue 3's targets). Run by hand: `npm run bench:ingest [-- --gb 1]`.
 *
 * 1. Backfill end to end (`claw-trace ingest` as a process: read, parse, index) on generated
 *    nginx combined and claw_json files; lines/s and peak RSS. Where lnav is installed, the same
 *    file through `lnav -n` (load, parse, count) in the same run, and the ratio.
 * 2. Peak RSS on a file of --gb gigabytes (default 1).
 * 3. Live: the tailer follows a file written at 5,000 lines/s; time from write to commit, p50/p99.
 * 4. Live into a large index (`--large 1000000,3000000`: one per size; `--large-only`: only this): commit time and CPU,
 *    write amplification (bytes written to storage / log bytes appended), index size / log size,
 *    lookups by request ID afterwards (issue 14's targets).
 * Backfills print write amplification (the child's /proc/self/io at exit, via ioAtExit.ts) and
 * the index's size per log byte next to their speed, and the same file read and parsed alone (the
 * intake's read-and-parse loop, no index: CPU time of this process) to show the store's share.
 * `--parse-thread`: also a backfill with CLAW_TRACE_PARSE_THREAD=1, then the default again;
 * `--backfill-only`: only part 1; `--read-parse-only [--rounds N]`: read and parse alone (see readParseOnly).
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AGENT_INDEX_OPTIONS } from '../src/agent/agent.js';
import { parseThreadWanted } from '../src/intake/backfill.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { parseLines } from '../src/intake/parseLines.js';
import { parseInThread } from '../src/intake/parseThread.js';
import { DEFAULT_MAX_LINE_BYTES } from '../src/read/lineReader.js';
import { startCheckpointer } from '../src/store/checkpointer.js';
import { prepareCommit } from '../src/store/prepare.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { Tailer } from '../src/tail/tailer.js';
import { cliArgs } from './cli.js';
import { parallelCapacity } from './cores.js';
import { clawJson, combined, generate } from './lines.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const argList = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return (i > 0 ? process.argv[i + 1]! : dflt).split(',').map(Number);
};
const GB = arg('gb', 1);
/** `--backfill-only`: part 1 alone (issue 14's backfill targets). */
const BACKFILL_ONLY = process.argv.includes('--backfill-only');
const dir = mkdtempSync(path.join(tmpdir(), 'claw-bench-'));
interface Summary {
  lines: number;
  seconds: number;
  linesPerSecond: number;
  maxRssMB: number;
  writeAmp?: number;
  indexPerLog: number;
}
const IO_AT_EXIT = pathToFileURL(path.resolve(path.dirname(new URL(import.meta.url).pathname), 'ioAtExit.js')).href;
const size = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};
/**
 * The intake's read, line split and parse of `file` with no index (what a backfill does besides
 * the store), in this process: lines per second of CPU time.
 */
async function readAndParse(file: string, format: string): Promise<number> {
  const cpu = process.cpuUsage();
  let n = 0;
  await parseLines(
    createReadStream(file, { highWaterMark: 256 * 1024 }),
    { offset: 0, line_no: 0, format, options: '{}' },
    { maxLineBytes: DEFAULT_MAX_LINE_BYTES, final: true, batchLines: 1500 },
    (b) => {
      n += b.lines.length + b.errors.length;
    },
  );
  const used = process.cpuUsage(cpu);
  return n / ((used.user + used.system) / 1e6);
}

/** `claw-trace ingest` as a process; with what it wrote to storage and the index's size, per log byte. */
function ingest(file: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Summary {
  const db = path.join(dir, `${path.basename(file)}.db`);
  const io = path.join(dir, 'io.txt');
  rmSync(db, { force: true });
  rmSync(io, { force: true });
  const r = spawnSync(
    process.execPath,
    ['--import', IO_AT_EXIT, ...cliArgs('ingest', '--db', db, '--json', ...extra, file)],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env, BENCH_IO_OUT: io } },
  );
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
  const logBytes = size(file);
  const written = Number(readFileSync(io, 'utf8'));
  const indexPerLog = (size(db) + size(`${db}-wal`)) / logBytes;
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  return { ...(JSON.parse(r.stdout) as Summary), writeAmp: written > 0 ? written / logBytes : undefined, indexPerLog };
}
const amp = (s: Summary) =>
  `writes ${s.writeAmp?.toFixed(2) ?? '?'}x the log, index ${s.indexPerLog.toFixed(2)}x the log`;

function lnav(file: string, table: string): number | undefined {
  if (spawnSync('sh', ['-c', 'command -v lnav']).status !== 0) return undefined;
  const t = process.hrtime.bigint();
  const r = spawnSync('lnav', ['-n', '-c', `;SELECT count(*) FROM ${table}`, file], {
    encoding: 'utf8',
    env: { ...process.env, HOME: dir },
  });
  if (r.status !== 0) return undefined;
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Appends `make(i)` lines to `file` at `rate` lines/s for `ms`; returns how many were written. */
async function writeAtRate(
  file: string,
  make: (i: number) => string,
  rate: number,
  ms: number,
  onWrite?: (i: number, at: bigint) => void,
): Promise<number> {
  let seq = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      const batch: string[] = [];
      const now = process.hrtime.bigint();
      for (; seq < due; seq++) {
        batch.push(make(seq));
        onWrite?.(seq, now);
      }
      if (batch.length) appendFileSync(file, `${batch.join('\n')}\n`);
      if (Date.now() - started >= ms) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  return seq;
}

/** Bytes this process has caused to be written to storage (Linux), or undefined. */
function writtenBytes(): number | undefined {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/**
 * The agent's steady state: live claw_json lines into an index that already holds 1M of them
 * (random request IDs: each commit rewrites every index leaf it touched), with the agent's
 * settings. Commit time is time the agent's API thread is blocked.
 */
/**
 * Seconds of live writing into each large index (`--live-seconds`, default 20). The ID runs' larger
 * merges come every ~40 s at 5,000 lines/s: a 20 s window catches one or not, 120 s averages them.
 */
const LIVE_S = arg('live-seconds', 20);
async function liveIntoLargeIndex(rows: number): Promise<void> {
  console.log(
    `live into a large index: ${fmt(rows)} claw_json rows, then 5,000 lines/s for ${LIVE_S} s (the agent's cache and checkpoint settings)`,
  );
  const seed = path.join(dir, 'seed.log');
  // As many lines as fit in rows * 980 bytes: slightly fewer than `rows` when the lines run longer.
  const seeded = generate(seed, (i) => clawJson(i + 100_000_000), rows * 980);
  const seedBytes = size(seed);
  const db = path.join(dir, 'large.db');
  let idx = new RecordIndex(db);
  idx.beginBulkLoad();
  await intakeFile(idx, seed, { final: true });
  idx.endBulkLoad();
  idx.close();
  rmSync(seed);
  idx = new RecordIndex(db, AGENT_INDEX_OPTIONS);
  const commit = idx.commitBatch;
  const times: number[] = [];
  let cpuMicros = 0;
  // Each commit timed (wall and CPU) by wrapping the index's own function.
  (idx as { commitBatch: RecordIndex['commitBatch'] }).commitBatch = (...a: Parameters<RecordIndex['commitBatch']>) => {
    const c = process.cpuUsage();
    const t = performance.now();
    commit(...a);
    times.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpuMicros += d.user + d.system;
  };
  const live = path.join(dir, 'live-large.log');
  writeFileSync(live, '');
  const tailer = new Tailer(idx, { sources: [{ path: live, format: 'nginx-claw_json' }] });
  await tailer.start();
  // The agent's checkpoints: one a second on this thread (store/checkpointer.ts).
  const checkpoints: number[] = [];
  const checkpointer = startCheckpointer(idx, { onCheckpoint: (s) => checkpoints.push(s * 1000) });
  const w0 = writtenBytes();
  const n = await writeAtRate(live, clawJson, 5000, LIVE_S * 1000);
  await new Promise((r) => setTimeout(r, 500));
  await tailer.stop();
  await checkpointer.stop();
  // What is still in the WAL is written again by a checkpoint: count it now, not never.
  idx.db.pragma('wal_checkpoint(TRUNCATE)');
  const w1 = writtenBytes();
  idx.close();
  // This process also wrote the log itself (the file the tailer follows): not the index's doing.
  const logBytes = size(live);
  const indexPerLog = (size(db) + size(`${db}-wal`)) / (seedBytes + size(live));
  const lookups: number[] = [];
  const reader = new RecordIndex(db);
  for (let k = 0; k < 500; k++) {
    const id = JSON.parse(clawJson(100_000_000 + Math.floor(Math.random() * seeded))).req_id as string;
    const t = performance.now();
    // The bench's IDs are a 32-bit hash: among 10M lines some 11,000 repeat, so one or more.
    if (reader.byRequestId(id).length < 1) throw new Error(`lookup of ${id} found no line`);
    lookups.push(performance.now() - t);
  }
  reader.close();
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  lookups.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  checkpoints.sort((a, b) => a - b);
  const q = (p: number, xs = times) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]?.toFixed(0) ?? '-';
  console.log(
    `  ${fmt(n)} lines in ${fmt(times.length)} commits: commit p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; ${checkpoints.length} checkpoints p50 ${q(0.5, checkpoints)} ms, max ${q(1, checkpoints)} ms; commits took ${((cpuMicros / 1e6 / LIVE_S) * 100).toFixed(0)}% of a core ` +
      `(${(cpuMicros / n).toFixed(1)} us a line); ` +
      (w0 !== undefined && w1 !== undefined
        ? `${fmt((w1 - w0 - logBytes) / 1e6 / LIVE_S)} MB/s written to disk by the index (write amplification ${((w1 - w0 - logBytes) / logBytes).toFixed(2)}x, target <= 3x)`
        : 'disk writes not measurable here') +
      `; index ${indexPerLog.toFixed(2)}x the log (target <= 1.0x); lookup by request ID median ${lookups[250]!.toFixed(3)} ms, p99 ${lookups[495]!.toFixed(3)} ms (a new connection; target <= 2 ms)`,
  );
}
/** CPU time of this thread (Linux; undefined elsewhere), ms: what the writing thread itself spends. */
function threadCpuMs(): number | undefined {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return undefined;
  }
}

/**
 * `--read-parse-only [--rounds N]`: the intake's read and parse alone (no index, no lnav) on both
 * generated files, N rounds (default 5) interleaved; and, per format, what the parse thread would
 * spare the writing thread: its CPU receiving the batches against reading and parsing them itself.
 */
async function readParseOnly(): Promise<void> {
  const rounds = arg('rounds', 5);
  console.log(`read + parse alone (the intake's loop, no index), lines per CPU-second, ${rounds} rounds interleaved`);
  const cases = [
    { name: 'nginx combined', format: 'nginx-combined', make: combined },
    { name: 'nginx claw_json', format: 'nginx-claw_json', make: clawJson },
  ].map((c) => {
    const file = path.join(dir, `${c.format}.log`);
    return {
      ...c,
      file,
      lines: generate(file, c.make, 170e6),
      runs: [] as number[],
      inline: [] as number[],
      thread: [] as number[],
    };
  });
  const o = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, final: true, batchLines: 1500 };
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      c.runs.push(await readAndParse(c.file, c.format));
      const row = { offset: 0, line_no: 0, format: c.format, options: '{}' };
      const t0 = threadCpuMs();
      // What the parse thread does for the writer: read, parse, and prepare each commit's writes.
      await parseLines(createReadStream(c.file, { highWaterMark: 256 * 1024 }), row, o, (b) => {
        prepareCommit(1, b.lines);
      });
      const t1 = threadCpuMs();
      const fd = openSync(c.file, 'r');
      await parseInThread(fd, false, 1, row, o, () => {});
      closeSync(fd);
      const t2 = threadCpuMs();
      if (t0 !== undefined && t1 !== undefined && t2 !== undefined) {
        c.inline.push(((t1 - t0) * 1000) / c.lines);
        c.thread.push(((t2 - t1) * 1000) / c.lines);
      }
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[], f: (n: number) => string) => `${f(sorted(xs)[0]!)}..${f(sorted(xs)[xs.length - 1]!)}`;
  const us = (n: number) => n.toFixed(2);
  for (const c of cases)
    console.log(
      `  ${c.name.padEnd(16)} ${fmt(median(c.runs)).padStart(9)} lines/s of CPU (median; ${range(c.runs, fmt)}), ${fmt(c.lines)} lines` +
        (c.inline.length
          ? `; the writing thread's CPU a line: ${us(median(c.inline))} µs reading, parsing and preparing the writes itself (${range(c.inline, us)}), ` +
            `${us(median(c.thread))} µs receiving from the parse thread (${range(c.thread, us)})`
          : ''),
    );
}

try {
  if (process.argv.includes('--read-parse-only')) await readParseOnly();
  else if (!process.argv.includes('--large-only')) await everythingElse();
  if (!BACKFILL_ONLY && !process.argv.includes('--read-parse-only'))
    for (const rows of argList('large', '1000000')) await liveIntoLargeIndex(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}`);

async function everythingElse(): Promise<void> {
  console.log(
    `backfill, end to end (claw-trace ingest as a process: read + parse + index; ${parseThreadWanted() ? 'the parse thread on, as by default with 2+ cores' : 'one thread'})`,
  );
  // Issue 14's targets: 1M combined lines at >= 0.5x lnav's speed; claw_json >= 200,000 lines/s.
  for (const [name, format, make, target, table] of [
    ['nginx combined', 'nginx-combined', combined, 200_000, 'access_log'],
    ['nginx claw_json', 'nginx-claw_json', clawJson, 200_000, 'json_log'],
  ] as const) {
    const file = path.join(dir, `${name.replace(' ', '-')}.log`);
    const n = generate(file, make, 170e6);
    const s = ingest(file);
    const l = lnav(file, table);
    const alone = await readAndParse(file, format);
    console.log(
      `  ${name.padEnd(16)} ${fmt(s.linesPerSecond).padStart(9)} lines/s (target >= ${fmt(target)}: ${s.linesPerSecond >= target ? 'ok' : 'MISSED'}), ` +
        `${fmt(n)} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB, peak RSS ${s.maxRssMB} MB, ${amp(s)}` +
        (l !== undefined
          ? `; lnav ${fmt(n / l)} lines/s, claw-trace/lnav ${(n / s.seconds / (n / l)).toFixed(2)}x${format === 'nginx-combined' ? ' (target >= 0.5x)' : ''}`
          : '; lnav not installed') +
        `; read+parse alone ${fmt(alone)} lines/s of CPU, ~${Math.round((n / alone / s.seconds) * 100)}% of the backfill's time (the rest: the store)`,
    );
    if (process.argv.includes('--parse-thread')) {
      const t = ingest(file, [], { CLAW_TRACE_PARSE_THREAD: '1' });
      const d = ingest(file);
      console.log(
        `    with the parse thread ${fmt(t.linesPerSecond)} lines/s, peak RSS ${t.maxRssMB} MB; without (again) ${fmt(d.linesPerSecond)} lines/s, ${d.maxRssMB} MB`,
      );
    }
    rmSync(file);
  }

  // The parse thread and the writing thread side by side can do no more than the machine's two
  // threads do (cores.ts): on a VM whose vCPUs share a core, far less than 2x one thread.
  const cap = await parallelCapacity();
  console.log(
    `  this machine: two CPU-bound threads side by side do ${cap.toFixed(2)}x the work of one (2.00x: two whole cores); a backfill's two threads share that`,
  );

  if (BACKFILL_ONLY) return;
  console.log(`memory on a ${GB} GB file`);
  const big = path.join(dir, 'big.log');
  const n = generate(big, combined, GB * 1e9);
  const s = ingest(big);
  console.log(
    `  ${fmt(n)} lines, ${(statSync(big).size / 1e9).toFixed(2)} GB: ${fmt(s.linesPerSecond)} lines/s, peak RSS ${s.maxRssMB} MB (target <= 200 MB: ${s.maxRssMB <= 200 ? 'ok' : 'MISSED'}), ${amp(s)}`,
  );
  rmSync(big);

  console.log('live: a file written at 5,000 lines/s for 10 s, followed by the tailer');
  const live = path.join(dir, 'live.log');
  writeFileSync(live, '');
  const idx = new RecordIndex(path.join(dir, 'live.db'));
  const written = new Map<number, bigint>();
  const latencies: number[] = [];
  const tailer = new Tailer(idx, {
    sources: [{ path: live }],
    onCommit: (records) => {
      const now = process.hrtime.bigint();
      for (const r of records) {
        const seq = r.lineNo! - 1; // line n of the file is request n - 1
        const at = written.get(seq);
        if (at !== undefined) latencies.push(Number(now - at) / 1e6);
      }
    },
  });
  await tailer.start();
  const seq = await writeAtRate(live, combined, 5000, 10_000, (i, at) => written.set(i, at));
  const deadline = Date.now() + 5000;
  while (latencies.length < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await tailer.stop();
  idx.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  console.log(
    `  ${fmt(seq)} lines written, ${fmt(latencies.length)} committed; write to queryable: p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${q(1).toFixed(0)} ms (target p99 <= 300 ms: ${q(0.99) <= 300 ? 'ok' : 'MISSED'})`,
  );
}
