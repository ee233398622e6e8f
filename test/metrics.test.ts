/**
 * The agent's /metrics as Prometheus takes it: `promtool check metrics` finds nothing to say, and
 * a real Prometheus (Debian's package) scrapes the agent and answers a query for its series.
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess, waitForPort } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { fixture } from './helpers.js';
import { type AgentProcess, httpGet, startAgentProcess } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('metrics');
let dir = '';
let agent: AgentProcess | undefined;
t.before.each(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-metrics-'));
  const log = path.join(dir, 'access.log');
  writeFileSync(log, readFileSync(fixture('nginx', 'claw_json.log')));
  agent = await startAgentProcess(
    dir,
    'm',
    `index: ${path.join(dir, 'index.db')}\nbackfill: true\nregion: lab\nsources:\n  - path: ${log}\n`,
  );
});
t.after.each(async () => {
  if (agent) await stopProcess(agent.p, 'SIGTERM');
  agent = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** /metrics once the agent has indexed its file (the lines counter is there). */
async function scrape(port: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = await httpGet(port, '/metrics');
    if (/claw_trace_lines_parsed_total\{source="nginx-access"\} [1-9]/.test(m.body) || Date.now() > deadline)
      return m.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

t("each of the index's WAL checkpoints (one a second, on the agent's thread) is timed in /metrics", async () => {
  const count = (body: string) => Number(/^claw_trace_wal_checkpoint_seconds_count (\d+)$/m.exec(body)?.[1] ?? NaN);
  const deadline = Date.now() + 10_000;
  let body = await scrape(agent!.port);
  while (!(count(body) >= 2) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    body = (await httpGet(agent!.port, '/metrics')).body;
  }
  assert.ok(count(body) >= 2, `checkpoints counted: ${count(body)}`);
  assert.match(body, /# TYPE claw_trace_wal_checkpoint_seconds histogram/);
  assert.match(body, /^claw_trace_wal_checkpoint_seconds_bucket\{le="\+Inf"\} \d+$/m);
});

const promtool = testNeeding(['promtool'], 'metrics.test (promtool check metrics)', t);

promtool.run(
  'promtool check metrics passes on /metrics; monotonic values are counters, gauges do not end in _total',
  async () => {
    assertTools(promtool.missing);
    const body = await scrape(agent!.port);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.is((r.stdout + r.stderr).trim(), '', 'no lint complaint');
    for (const name of [
      'claw_trace_export_delivered_spans_total',
      'claw_trace_export_failures_total',
      'claw_trace_export_dropped_spans_total',
      'claw_trace_lines_parsed_total',
    ]) {
      assert.match(body, new RegExp(`# TYPE ${name.replace(/_total$/, '')}(_total)? counter`), name);
    }
    for (const [, name] of body.matchAll(/^# TYPE (\S+) gauge$/gm)) assert.not.match(name!, /_total$/, name);
  },
);

const prometheus = testNeeding(['prometheus'], 'metrics.test (a real Prometheus scrapes the agent)', t);

prometheus.run('a real Prometheus scrapes the agent: its query API returns a claw_trace series', async () => {
  assertTools(prometheus.missing);
  const [port] = (await freePorts(1)) as [number];
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: claw-trace\n    static_configs:\n      - targets: ['127.0.0.1:${agent!.port}']\n`,
  );
  const p = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  p.stderr!.on('data', (d: Buffer) => {
    log += d;
  });
  try {
    await waitForPort(port, p, 'prometheus', 30_000);
    const query = encodeURIComponent('claw_trace_lines_parsed_total{job="claw-trace"}');
    let result: { metric: Record<string, string>; value: [number, string] }[] = [];
    const deadline = Date.now() + 30_000;
    while (result.length === 0 && Date.now() < deadline) {
      const a = await httpGet(port, `/api/v1/query?query=${query}`);
      if (a.status === 200) result = (JSON.parse(a.body) as { data: { result: typeof result } }).data.result;
      if (result.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(result.length > 0, `Prometheus has no claw_trace series after 30 s\n${log.slice(-2000)}`);
    assert.is(result[0]!.metric.source, 'nginx-access');
    assert.ok(Number(result[0]!.value[1]) > 0);
    const up = JSON.parse(
      (await httpGet(port, `/api/v1/query?query=${encodeURIComponent('up{job="claw-trace"}')}`)).body,
    ) as { data: { result: { value: [number, string] }[] } };
    assert.is(up.data.result[0]?.value[1], '1', 'the scrape succeeded');
  } finally {
    await stopProcess(p, 'SIGTERM', 10_000);
  }
});

t.run();
