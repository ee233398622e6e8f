/**
 * Lookup speed on a big index (issue 4's targets, issue 14's), run by hand: `npm run bench:lookup
 * [-- --records N]`. Builds an index of N access records (default 10M: random 32-hex request IDs,
 * 1% failures with their nginx error line) straight through the store, then times the indexed
 * query alone, the trace assembly + diagnosis in process, and `claw-trace <id> --json` as a whole
 * process, alternated with a bare `node -e 0` (the same minutes: this VM's speed drifts 2x with
 * load). `--keep` leaves the index in place (its path is printed); `--db PATH` uses a kept one
 * instead of building (its `--records` as built). The CPU time of the processes (Linux) varies
 * less than their wall time. Where NODE_EXTRA_CA_CERTS is set, the processes are timed with it and
 * without it (Node 20 reads the certificates at start; 22 and 24 only when TLS is used).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogRecord } from '../parsers/index.js';
import { QUICK_BUNDLE, quickEntry } from '../src/cli/quickEntry.js';
import { assembleTrace } from '../src/correlate/assemble.js';
import { diagnose } from '../src/diagnose/diagnose.js';
import { type BatchLine, RecordIndex } from '../src/store/recordIndex.js';
import { cliArgs } from './cli.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('records', 10_000_000);
const kept = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1] : undefined;
const dir = kept ? undefined : mkdtempSync(path.join(tmpdir(), 'claw-lookup-bench-'));
const db = kept ?? path.join(dir!, 'index.db');
const T0 = Date.UTC(2026, 10, 22);
const idOf = (i: number) =>
  ((i * 2654435761) >>> 0).toString(16).padStart(8, '0') +
  ((i * 40503) >>> 0).toString(16).padStart(8, '0') +
  'c1a3'.repeat(4);
const p2 = (n: number) => String(n).padStart(2, '0');
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/** CPU time of this process's waited-for children so far, in ms (Linux; 0 elsewhere). */
function childrenCpuMs(): number {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

function build(index: RecordIndex): void {
  const access = index.addFile({
    path: '/var/log/nginx/access.json',
    dev: 1,
    ino: 1,
    fpLen: 1,
    fpHash: 'a',
    format: 'nginx-json',
    region: 'us-east',
    options: {},
  });
  const errors = index.addFile({
    path: '/var/log/nginx/error.log',
    dev: 1,
    ino: 2,
    fpLen: 1,
    fpHash: 'b',
    format: 'nginx-error',
    region: 'us-east',
    options: { zone: 'UTC' },
  });
  let offset = 0;
  let eoff = 0;
  for (let i = 0; i < N; ) {
    const lines: BatchLine[] = [];
    const errs: BatchLine[] = [];
    for (const end = Math.min(N, i + 5000); i < end; i++) {
      const t = T0 + i * 2; // 500 requests a second
      const failed = i % 100 === 0;
      const raw = JSON.stringify({
        msec: (t / 1000).toFixed(3),
        request_time: '0.012',
        req_id: idOf(i),
        connection: String(i),
        request: `GET /v1/chat/${i % 977} HTTP/1.1`,
        status: failed ? '502' : '200',
        upstream: '127.0.0.1:18789',
        upstream_status: failed ? '502' : '200',
        upstream_response_time: failed ? '0.000' : '0.012',
      });
      const r = new LogRecord('nginx-access', t);
      Object.assign(r, { requestId: idOf(i), connection: i, status: failed ? 502 : 200, offset, lineNo: i + 1 });
      lines.push({ record: r, raw });
      offset += raw.length + 1;
      if (failed) {
        const d = new Date(t - 10);
        const eraw = `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} [error] 7#7: *${i} connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: claw, request: "GET /v1/chat/${i % 977} HTTP/1.1", upstream: "http://127.0.0.1:18789/v1/chat", host: "claw"`;
        const e = new LogRecord('nginx-error', Math.floor((t - 10) / 1000) * 1000);
        Object.assign(e, { connection: i, errorKind: 'upstream-refused', offset: eoff, lineNo: i / 100 + 1 });
        errs.push({ record: e, raw: eraw });
        eoff += eraw.length + 1;
      }
    }
    index.commitBatch(access.id, lines, [], { offset, lineNo: i, linesCut: 0 });
    if (errs.length) index.commitBatch(errors.id, errs, [], { offset: eoff, lineNo: i / 100, linesCut: 0 });
    if (i % 1_000_000 === 0) process.stderr.write(`  ${i.toLocaleString('en-US')} records\n`);
  }
  index.db.pragma('wal_checkpoint(TRUNCATE)');
  index.db.exec('ANALYZE');
}

try {
  const started = Date.now();
  const index = new RecordIndex(db);
  if (!kept) build(index);
  console.log(
    `index: ${N.toLocaleString('en-US')} access records + ${(N / 100).toLocaleString('en-US')} error lines, ${(statSync(db).size / 1e9).toFixed(2)} GB, ${kept ? `given (${kept})` : `built in ${((Date.now() - started) / 1000).toFixed(0)} s`}`,
  );

  const pick = (k: number) => idOf(Math.floor(((((k * 7919) % 997) / 997) * N) / 100) * 100); // failing requests
  const query: number[] = [];
  for (let k = 0; k < 1000; k++) {
    const t = process.hrtime.bigint();
    const rows = index.byRequestId(pick(k));
    query.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (rows.length !== 1) throw new Error(`expected one row for ${pick(k)}, got ${rows.length}`);
  }
  const whole: number[] = [];
  for (let k = 0; k < 200; k++) {
    const t = process.hrtime.bigint();
    const d = diagnose(assembleTrace(index, pick(k))!, index);
    whole.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (d.causes[0]?.id !== 'upstream-refused') throw new Error(`diagnosed ${d.causes[0]?.id}`);
  }
  index.close();
  // NODE_EXTRA_CA_CERTS (set on this machine, to the system's bundle) makes Node 20 read and
  // parse those certificates as it starts, ~50-80 ms here (Node 22 and 24 read them when TLS is
  // first used): where it is set, the lookups are timed with it and without it, alternated.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const envs: { name: string; env: NodeJS.ProcessEnv }[] = [{ name: '', env: process.env }];
  if (extraCa) {
    const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
    envs.push({ name: 'without NODE_EXTRA_CA_CERTS', env: without });
  }
  const ROUNDS = 30;
  const timed = envs.map(() => ({ proc: [] as number[], bare: [] as number[], procCpu: 0, bareCpu: 0 }));
  for (let k = 0; k < ROUNDS; k++) {
    for (const [e, { env }] of envs.entries()) {
      const m = timed[e]!;
      let c = childrenCpuMs();
      let t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, cliArgs('--db', db, '--json', pick(k)), { encoding: 'utf8', env });
      m.proc.push(Number(process.hrtime.bigint() - t) / 1e6);
      m.procCpu += childrenCpuMs() - c;
      if (r.status !== 0) throw new Error(r.stderr);
      c = childrenCpuMs();
      t = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0'], { env });
      m.bare.push(Number(process.hrtime.bigint() - t) / 1e6);
      m.bareCpu += childrenCpuMs() - c;
    }
  }
  const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
  console.log(
    `query by request ID:           median ${f(q(query, 0.5))} ms, p99 ${f(q(query, 0.99))} ms (target <= 2 ms: ${q(query, 0.5) <= 2 ? 'ok' : 'MISSED'})`,
  );
  console.log(`assemble + diagnose (process): median ${f(q(whole, 0.5))} ms, p99 ${f(q(whole, 0.99))} ms`);
  for (const [e, { name }] of envs.entries()) {
    const m = timed[e]!;
    console.log(
      `claw-trace <id> --json${name ? ` ${name}` : extraCa ? ' (NODE_EXTRA_CA_CERTS set)' : ''}: median ${f(q(m.proc, 0.5))} ms, max ${f(q(m.proc, 1))} ms (target <= 150 ms: ${q(m.proc, 0.5) <= 150 ? 'ok' : 'MISSED'})`,
    );
    console.log(
      `  (CPU ${f(m.procCpu / ROUNDS)} ms a lookup; bare \`node -e 0\` in the same minutes: median ${f(q(m.bare, 0.5))} ms, CPU ${f(m.bareCpu / ROUNDS)} ms)`,
    );
  }
  console.log(
    `node ${process.version}; the lookup ${quickEntry() === QUICK_BUNDLE.href ? 'bundled (npm run build)' : 'unbundled (no bundle as new as the modules: npm run build makes it)'}`,
  );
} finally {
  // `--keep`: the index stays for a profile of one lookup (`claw-trace --db <it> <id>`).
  if (process.argv.includes('--keep')) console.log(`index kept: ${db}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}
