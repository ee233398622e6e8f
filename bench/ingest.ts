/**
 * Backfill and live speed (issue 3's targets). Run by hand: `npm run bench:ingest [-- --gb 1]`.
 *
 * 1. Backfill end to end (`claw-trace ingest` as a process: read, parse, index) on generated
 *    nginx combined and claw_json files; lines/s and peak RSS. Where lnav is installed, the same
 *    file through `lnav -n` (load, parse, count) in the same run, and the ratio.
 * 2. Peak RSS on a file of --gb gigabytes (default 1).
 * 3. Live: the tailer follows a file written at 5,000 lines/s; time from write to commit, p50/p99.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordIndex } from '../src/store/recordIndex.js';
import { Tailer } from '../src/tail/tailer.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/src/cli/main.js');
const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const GB = arg('gb', 1);
const dir = mkdtempSync(path.join(tmpdir(), 'claw-bench-'));
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

function combined(i: number): string {
  const d = new Date(Date.UTC(2026, 10, 22) + Math.floor(i / 20) * 1000);
  const ts = `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  return `10.0.${i % 250}.${i % 200} - - [${ts}] "GET /api/v1/sessions/${i % 5000}?r=${i} HTTP/1.1" ${i % 50 === 0 ? 502 : 200} ${1000 + (i % 900)} "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15"`;
}

function clawJson(i: number): string {
  const t = Date.UTC(2026, 10, 22) + i * 50;
  const d = new Date(t);
  const ms = (t / 1000).toFixed(3);
  const iso = d.toISOString().slice(0, 19) + '+00:00';
  const id = (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(4);
  const up = i % 50 === 0 ? ['127.0.0.1:18789', '502', '-', '-', '0.000', '0'] : ['127.0.0.1:18789', '200', '0.000', '0.012', '0.015', '2048'];
  return JSON.stringify({
    ts: iso, msec: ms, time_local: `${p2(d.getUTCDate())}/Nov/2026:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`,
    req_id: id, nginx_request_id: id, connection: String(i), connection_requests: '1', pid: '4242', remote_addr: '127.0.0.1',
    remote_port: String(30000 + (i % 30000)), realip_remote_addr: '127.0.0.1', xff: '203.0.113.9', host: 'claw.example.com',
    server_name: 'claw.example.com', request: `GET /api/v1/sessions/${i % 5000} HTTP/1.1`, method: 'GET', uri: `/api/v1/sessions/${i % 5000}`,
    protocol: 'HTTP/1.1', status: up[1], body_bytes_sent: '2048', bytes_sent: '2300', request_length: '420', request_time: '0.016',
    upstream: up[0], upstream_status: up[1], upstream_connect_time: up[2], upstream_header_time: up[3], upstream_response_time: up[4],
    upstream_bytes_received: up[5], upstream_cache_status: '', http_upgrade: '', user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6)',
    referer: '', inbound_request_id: '', traceparent: '',
  });
}

function generate(file: string, make: (i: number) => string, targetBytes: number): number {
  const fd = openSync(file, 'w');
  let bytes = 0;
  let i = 0;
  while (bytes < targetBytes) {
    const chunk: string[] = [];
    for (let k = 0; k < 10_000; k++) chunk.push(make(i++));
    const s = chunk.join('\n') + '\n';
    bytes += Buffer.byteLength(s);
    writeSync(fd, s);
  }
  closeSync(fd);
  return i;
}

interface Summary { lines: number; seconds: number; linesPerSecond: number; maxRssMB: number }
function ingest(file: string, extra: string[] = []): Summary {
  const db = path.join(dir, `${path.basename(file)}.db`);
  rmSync(db, { force: true });
  const r = spawnSync(process.execPath, [CLI, 'ingest', '--db', db, '--json', ...extra, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
  rmSync(db, { force: true });
  rmSync(db + '-wal', { force: true });
  rmSync(db + '-shm', { force: true });
  return JSON.parse(r.stdout) as Summary;
}

function lnav(file: string, table: string): number | undefined {
  if (spawnSync('sh', ['-c', 'command -v lnav']).status !== 0) return undefined;
  const t = process.hrtime.bigint();
  const r = spawnSync('lnav', ['-n', '-c', `;SELECT count(*) FROM ${table}`, file], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  if (r.status !== 0) return undefined;
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
try {
  console.log('backfill, end to end (claw-trace ingest as a process: read + parse + index, one core)');
  for (const [name, make, target, table] of [
    ['nginx combined', combined, 200_000, 'access_log'],
    ['nginx claw_json', clawJson, 120_000, 'json_log'],
  ] as const) {
    const file = path.join(dir, `${name.replace(' ', '-')}.log`);
    const n = generate(file, make, 170e6);
    const s = ingest(file);
    const l = lnav(file, table);
    console.log(`  ${name.padEnd(16)} ${fmt(s.linesPerSecond).padStart(9)} lines/s (target >= ${fmt(target)}: ${s.linesPerSecond >= target ? 'ok' : 'MISSED'}), ` +
      `${fmt(n)} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB, peak RSS ${s.maxRssMB} MB` +
      (l !== undefined ? `; lnav ${fmt(n / l)} lines/s, claw-trace/lnav ${((n / s.seconds) / (n / l)).toFixed(2)}x` : '; lnav not installed'));
    rmSync(file);
  }

  console.log(`memory on a ${GB} GB file`);
  const big = path.join(dir, 'big.log');
  const n = generate(big, combined, GB * 1e9);
  const s = ingest(big);
  console.log(`  ${fmt(n)} lines, ${(statSync(big).size / 1e9).toFixed(2)} GB: ${fmt(s.linesPerSecond)} lines/s, peak RSS ${s.maxRssMB} MB (target <= 200 MB: ${s.maxRssMB <= 200 ? 'ok' : 'MISSED'})`);
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
        const seq = Number(/r=(\d+)/.exec(r.uri ?? '')?.[1]);
        const at = written.get(seq);
        if (at !== undefined) latencies.push(Number(now - at) / 1e6);
      }
    },
  });
  await tailer.start();
  let seq = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * 5000);
      const batch: string[] = [];
      const now = process.hrtime.bigint();
      for (; seq < due; seq++) { batch.push(combined(seq)); written.set(seq, now); }
      if (batch.length) appendFileSync(live, batch.join('\n') + '\n');
      if (Date.now() - started >= 10_000) { clearInterval(timer); resolve(); }
    }, 10);
  });
  const deadline = Date.now() + 5000;
  while (latencies.length < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await tailer.stop();
  idx.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  console.log(`  ${fmt(seq)} lines written, ${fmt(latencies.length)} committed; write to queryable: p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${q(1).toFixed(0)} ms (target p99 <= 300 ms: ${q(0.99) <= 300 ? 'ok' : 'MISSED'})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}`);
