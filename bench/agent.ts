/**
 * The agent's steady state (issue 14's targets) and API (issue 6's). Run by hand: `npm run bench:agent [-- --seconds 30] [--rotated 30] [--glob] [--per-line] [--scrape 15] [--api 0]`.
 *
 * 1. `claw-trace agent` as a process follows a claw_json file written at 5,000 lines/s; its RSS
 *    and CPU are read from /proc every second (Linux), after a 5 s warm-up.
 * 2. Then 50 concurrent clients (autocannon) look up random request IDs of that file through
 *    `GET /v1/requests/:id` for 10 s; latency percentiles.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { stopProcess, waitForPort } from '../fixtures/lab/lab.js';
import { freePort } from '../fixtures/lab/upstreams.js';
import { agentV8Flags } from '../src/agent/v8Flags.js';
import { CLI_ENV, cliArgs, NODE_FLAGS } from './cli.js';
import { clawJson } from './lines.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 30);
/** `--api 0`: the steady state only (a CPU profile of intake: BENCH_NODE_ARGS="--cpu-prof"). */
class SkipApi extends Error {}
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const dir = mkdtempSync(path.join(tmpdir(), 'claw-bench-agent-'));
const TICK = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux

function sample(pid: number): { cpuTicks: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuTicks: Number(f[11]) + Number(f[12]), rssMB: Number(rss) / 1024 };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/**
 * `--rotated N`: N older files beside the log, as logrotate leaves them in /var/log/nginx (Debian
 * keeps 14 days of access and error logs: ~30). The agent is not asked to read them, but they are
 * in the folder it watches. The index is in a folder of its own.
 */
const ROTATED = arg('rotated', 0);
/** `--glob`: the source is the folder's `*.log`, as the agent's defaults and `follow "/var/log/nginx/*.log"` are. */
const GLOB = process.argv.includes('--glob');
const logDir = path.join(dir, 'log');
mkdirSync(logDir);
const file = path.join(logDir, 'access.log');
writeFileSync(file, '');
for (let i = 1; i <= ROTATED; i++)
  writeFileSync(path.join(logDir, i % 2 ? `access.log.${(i + 1) / 2}.gz` : `error.log.${i / 2}.gz`), 'rotated\n');
/**
 * `--per-line`: one write(2) a line, as nginx writes an access log without `buffer=` and Caddy
 * writes every log entry (each a file-change event for the agent); else one write per 10 ms.
 */
const PER_LINE = process.argv.includes('--per-line');
/**
 * `--scrape S`: GET /metrics every S seconds through the run, as a Prometheus does (its recent-5xx
 * gauges diagnose the last 5 minutes' failures on a query thread, which then stays up).
 */
const SCRAPE_S = arg('scrape', 0);
const fd = openSync(file, 'a');
writeFileSync(
  path.join(dir, 'agent.yaml'),
  `region: bench\nindex: ${dir}/index.db\nsources:\n  - path: ${GLOB ? path.join(logDir, '*.log') : file}\n    format: nginx-claw_json\nlog: { level: warn }\n`,
);
const port = await freePort();
const agent = spawn(process.execPath, cliArgs('agent', '-c', path.join(dir, 'agent.yaml'), '--port', String(port)), {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: CLI_ENV,
});
try {
  await waitForPort(port, agent, 'agent');
  let seq = 0;
  const started = Date.now();
  const writer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE);
    const batch: string[] = [];
    for (; seq < due; seq++) batch.push(clawJson(seq));
    if (PER_LINE) for (const line of batch) writeSync(fd, `${line}\n`);
    else if (batch.length) appendFileSync(file, `${batch.join('\n')}\n`);
  }, 10);
  const scraper =
    SCRAPE_S > 0
      ? setInterval(() => {
          void fetch(`http://127.0.0.1:${port}/metrics`)
            .then((r) => r.text())
            .catch(() => undefined);
        }, SCRAPE_S * 1000)
      : undefined;
  await new Promise((r) => setTimeout(r, 5000));
  const first = sample(agent.pid!);
  const t0 = Date.now();
  let maxRss = first.rssMB;
  while (Date.now() - t0 < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    maxRss = Math.max(maxRss, sample(agent.pid!).rssMB);
  }
  const last = sample(agent.pid!);
  const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const v = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(m)?.[1] ?? NaN);
  const g = (name: string) => v(name) / 1048576;
  // The event loop's delay since the start (the API's thread: long commits and checkpoints show there).
  const lag = (name: string) => (v(`claw_trace_nodejs_eventloop_lag_${name}_seconds`) * 1000).toFixed(0);
  console.log(
    `  at the end: heap used ${g('claw_trace_nodejs_heap_size_used_bytes').toFixed(0)} MB of ${g('claw_trace_nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${g('claw_trace_nodejs_external_memory_bytes').toFixed(0)} MB; event loop delay p50 ${lag('p50')} ms, p99 ${lag('p99')} ms, max ${lag('max')} ms`,
  );
  const cpu = (last.cpuTicks - first.cpuTicks) / TICK / ((Date.now() - t0) / 1000);
  clearInterval(writer);
  clearInterval(scraper);
  console.log(
    `agent at ${fmt(RATE)} lines/s (claw_json) for ${SECONDS} s after a 5 s warm-up, ${fmt(seq)} lines written ${PER_LINE ? 'one write a line' : 'one write per 10 ms'}${ROTATED ? `, ${ROTATED} rotated files beside it` : ''}${GLOB ? ', followed as *.log' : ''}${SCRAPE_S ? `, /metrics scraped every ${SCRAPE_S} s` : ''} (${CLI_ENV.MALLOC_ARENA_MAX ? `MALLOC_ARENA_MAX=${CLI_ENV.MALLOC_ARENA_MAX} ` : ''}node ${[...NODE_FLAGS, process.env.BENCH_NODE_ARGS ?? ''].join(' ').trim()}; at run time ${agentV8Flags(Number(process.versions.node.split('.')[0]), [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS?.split(' ') ?? [])]).join(' ')})`,
  );
  console.log(
    `  RSS max ${maxRss.toFixed(0)} MB (target <= 110 MB: ${maxRss <= 110 ? 'ok' : 'MISSED'}), CPU ${(cpu * 100).toFixed(1)}% of one core (target <= 12%: ${cpu <= 0.12 ? 'ok' : 'MISSED'})`,
  );

  if (arg('api', 1) === 0) throw new SkipApi();
  const ids = Array.from(
    { length: 1000 },
    (_, i) => JSON.parse(clawJson(Math.floor((i / 1000) * seq))).req_id as string,
  );
  let k = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: 10,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/requests/${ids[k++ % ids.length]}` }) }],
  });
  const l = result.latency;
  console.log(
    `API lookup, 50 concurrent clients for 10 s: ${fmt(result.requests.average)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms (target p99 <= 10 ms: ${l.p99 <= 10 ? 'ok' : 'MISSED'}); ${result.non2xx} non-2xx, ${result.errors} errors`,
  );
} catch (e) {
  if (!(e instanceof SkipApi)) throw e;
} finally {
  closeSync(fd);
  await stopProcess(agent, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}`);
