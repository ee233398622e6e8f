/**
 * `claw-trace agent` as a process, against real nginx writing the files it watches: lines reach
 * the API within a second, SIGTERM loses nothing, a token is required off loopback, and two
 * agents in two regions behind two proxies answer one cross-region lookup as one trace.
 */

import { type ChildProcess, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { ConfigError, loadConfig } from '../src/agent/config.js';
import { tokenMatches } from '../src/agent/token.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { rehydrate } from '../src/store/rehydrate.js';
import { fixture } from './helpers.js';
import { type AgentProcess, CLI, httpGet, startAgentProcess } from './support/agent.js';
import { nginxConf, startNginx as startNginxIn } from './support/nginx.js';
import { waitFor } from './support/wait.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('agent');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-agent-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = `${'a'.repeat(8)}0123456789abcdef`;

t('config: defaults work without a file; errors name the key and the fix', () => {
  const d = loadConfig(undefined, { HOME: '/home/x' });
  assert.ok(
    d.sources.some((s) => s.path === '/tmp/openclaw/openclaw-*.log') &&
      d.sources.some((s) => s.path === '/var/log/nginx/access.log') &&
      d.sources.some((s) => s.path.startsWith('/opt/homebrew/')),
  );
  assert.is(d.api.host, '127.0.0.1');
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'regoin: us-east\nsources:\n  - path: /x\n    format: nginx-foo\nretention:\n  maxAge: one week\nagents: [ftp://x]\n',
  );
  assert.throws(
    () => loadConfig(bad),
    (e: Error) =>
      e instanceof ConfigError &&
      /bad\.yaml:1: regoin: unknown key \(known: region,/.test(e.message) &&
      /bad\.yaml:4: sources\[0\]\.format: must be one of nginx-access/.test(e.message) &&
      /bad\.yaml:6: retention\.maxAge: a duration such as 7d/.test(e.message) &&
      /bad\.yaml:7: agents\[0\]: an http/.test(e.message),
  );
  writeFileSync(bad, 'region: us-east\nsources: [\n');
  assert.throws(() => loadConfig(bad), /bad\.yaml:\d+: not valid YAML/);
  const r = spawnSync(process.execPath, [CLI, 'agent', '--print-config', '--port', '0'], { encoding: 'utf8' });
  assert.is(r.status, 0);
  assert.match(r.stdout, /port: 0/);
  assert.match(r.stdout, /openclaw-\*\.log/);
});

t('the token check is constant-time and exact', () => {
  assert.ok(tokenMatches(TOKEN, TOKEN));
  assert.not.ok(tokenMatches(TOKEN.slice(0, -1), TOKEN));
  assert.not.ok(tokenMatches(undefined, TOKEN));
  assert.not.ok(tokenMatches('', TOKEN));
});

/** A proxy of the README's config in <dir>/<name>, to 127.0.0.1:upstream; `front`: the first hop. */
function startNginx(name: string, port: number, upstream: number, front: boolean): Promise<ChildProcess> {
  const d = path.join(dir, name);
  return startNginxIn(d, nginxConf({ dir: d, port, upstream, front, forwardedFor: true }), port, `nginx ${name}`);
}

type RunningAgent = AgentProcess;
const startAgent = (name: string, yaml: string, env: NodeJS.ProcessEnv = {}) => startAgentProcess(dir, name, yaml, env);
const get = httpGet;

const agentYaml = (region: string, files: string[], extra = '') =>
  `region: ${region}\nindex: ${path.join(dir, `${region}.db`)}\nbackfill: true\nsources:\n${files.map((f) => `  - path: ${f}\n`).join('')}${extra}`;

const live = testNeeding(['nginx'], 'agent.test (agent against nginx)', t);

live.run(
  'lines written by nginx reach the API within a second; /metrics counts them; SIGTERM loses nothing',
  async () => {
    assertTools(live.missing);
    const [np, dead] = (await freePorts(2)) as [number, number];
    const nginx = await startNginx('a', np, dead, true);
    const access = path.join(dir, 'a', 'access.log');
    let agent: RunningAgent | undefined;
    try {
      agent = await startAgent('a', agentYaml('us-east', [access, path.join(dir, 'a', 'error.log')]));
      // The lookup route loads its code at its first request (src/agent/requestLookup.ts): what
      // is timed below is the intake, so that comes first.
      assert.is((await get(agent.port, '/v1/requests/not-yet-written')).status, 404);
      const res = await get(np, '/refused', { 'x-request-id': 'agent-test-1' });
      assert.is(res.status, 502);
      const t0 = Date.now();
      let found: { status: number; body: string } | undefined;
      while (Date.now() - t0 < 3000) {
        found = await get(agent.port, '/v1/requests/agent-test-1');
        if (found.status === 200 && found.body.includes('upstream-refused')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const took = Date.now() - t0;
      assert.is(found!.status, 200);
      const j = JSON.parse(found!.body) as {
        spans: { region: string; status: number }[];
        diagnosis: { causes: { id: string }[] };
      };
      assert.is(j.diagnosis.causes[0]!.id, 'upstream-refused', 'diagnosed with the error line');
      assert.is(j.spans[0]!.region, 'us-east');
      assert.ok(took < 1000, `in the API ${took} ms after nginx answered (<= 1 s)`);
      const metrics = (await get(agent.port, '/metrics')).body;
      assert.match(metrics, /claw_trace_lines_parsed_total\{source="nginx-access"\} 1/);
      assert.match(metrics, /claw_trace_recent_5xx\{cause="upstream-refused",region="us-east"\} 1/);
      // One recent failure: diagnosed on the agent's thread, no query thread started for it.
      assert.match(metrics, /^claw_trace_query_threads 0$/m);
      assert.match(metrics, /claw_trace_process_resident_memory_bytes \d+/);
      assert.is(
        (await get(agent.port, '/v1/requests/%1b%5b2J')).status,
        400,
        'a request ID with control bytes is refused',
      );
      assert.is((await get(agent.port, '/v1/failures?from=0&to=999999999999999')).status, 400, 'time range limited');
      // Search by window, status, region; failures by cause.
      const bad = JSON.parse((await get(agent.port, '/v1/requests?status=502&region=us-east')).body) as {
        requests: { requestId: string; status: number; path: string }[];
      };
      assert.equal(
        bad.requests.map((r) => [r.requestId, r.status, r.path]),
        [['agent-test-1', 502, '/refused']],
      );
      assert.equal(
        (JSON.parse((await get(agent.port, '/v1/requests?status=200')).body) as { requests: unknown[] }).requests,
        [],
      );
      assert.equal(
        (
          JSON.parse((await get(agent.port, '/v1/requests?region=eu-west&minStatus=500')).body) as {
            requests: unknown[];
          }
        ).requests,
        [],
      );
      assert.is((await get(agent.port, '/v1/requests?limit=100000')).status, 400, 'page size limited');
      const byCause = JSON.parse((await get(agent.port, '/v1/failures?cause=upstream-refused')).body) as {
        groups: { cause: string; example: string }[];
      };
      assert.equal(
        byCause.groups.map((g) => [g.cause, g.example]),
        [['upstream-refused', 'agent-test-1']],
      );
      assert.is((await get(agent.port, '/readyz')).status, 200);
      // A bulk load by `ingest` (schema 4) takes nothing down: lookups answer during it, and a
      // load killed before it could clear its mark leaves nothing for a running agent to wait on.
      const loader = new RecordIndex(path.join(dir, 'us-east.db'));
      loader.beginBulkLoad();
      assert.is((await get(agent.port, '/v1/requests/agent-test-1')).status, 200, 'lookups during a bulk load');
      assert.is((await get(agent.port, '/v1/failures')).status, 200, 'the failure report during a bulk load');
      loader.close(); // as a killed load leaves it: the mark stays
      assert.is((await get(agent.port, '/v1/requests/agent-test-1')).status, 200, "lookups with a dead load's mark");
      new RecordIndex(path.join(dir, 'us-east.db')).close(); // the next opener clears it

      // Lines keep coming while the agent is told to stop.
      for (let i = 0; i < 200; i++)
        appendFileSync(access, `${readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n')[i % 20]!}\n`);
      await stopProcess(agent.p, 'SIGTERM');
      assert.is(agent.p.exitCode, 0, 'a clean exit on SIGTERM');
      assert.match(agent.stderr(), /SIGTERM: stopping/);
      // What was not read before the stop is read after the restart, from the checkpoint: nothing lost, nothing twice.
      agent = await startAgent('a', agentYaml('us-east', [access]));
      const running = agent;
      await waitFor('the agent to catch up with the access log', async () =>
        (await get(running.port, '/metrics')).body.includes(`claw_trace_file_lag_bytes{file="${access}"} 0\n`),
      );
      await stopProcess(agent.p, 'SIGTERM');
      agent = undefined;
      const idx = new RecordIndex(path.join(dir, 'us-east.db'));
      const lines = readFileSync(access, 'utf8').split('\n').filter(Boolean).length;
      assert.is(
        rehydrate(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, accessOnly: true, limit: 100_000 })).length,
        lines,
        'every access line once',
      );
      idx.close();
    } finally {
      if (agent) await stopProcess(agent.p, 'SIGKILL');
      await stopProcess(nginx, 'SIGQUIT');
    }
  },
);

t('SIGHUP reloads the config: a source added to it is followed without a restart', async () => {
  const a = path.join(dir, 'a.log');
  const b = path.join(dir, 'b.log');
  writeFileSync(a, '');
  writeFileSync(b, '');
  const agent = await startAgent('hup', agentYaml('x', [a]));
  try {
    const line = readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n')[1]!; // request 0a251a1e... (/refused)
    assert.is((await get(agent.port, '/v1/requests/0a251a1eb55548acadd21e5ddb31ab82')).status, 404);
    writeFileSync(path.join(dir, 'hup.yaml'), agentYaml('x', [a, b]));
    agent.p.kill('SIGHUP');
    await waitFor('the reload', () => /config reloaded/.test(agent.stderr()));
    appendFileSync(b, `${line}\n`);
    await waitFor(
      'the line of the new source in the API',
      async () => (await get(agent.port, '/v1/requests/0a251a1eb55548acadd21e5ddb31ab82')).status === 200,
      5000,
    );
  } finally {
    await stopProcess(agent.p, 'SIGTERM');
  }
});

t('off loopback the agent refuses to start without a token, and with one every data route needs it', async () => {
  const log = path.join(dir, 'x.log');
  writeFileSync(log, '');
  const cfg = path.join(dir, 'open.yaml');
  writeFileSync(cfg, agentYaml('x', [log], 'api:\n  host: 0.0.0.0\n'));
  const r = spawnSync(process.execPath, [CLI, 'agent', '-c', cfg, '--port', '0'], {
    encoding: 'utf8',
    env: { ...process.env, CLAW_TRACE_TOKEN: '' },
    timeout: 10_000,
  });
  assert.is(r.status, 2);
  assert.match(r.stderr, /api\.host is 0\.0\.0\.0, not loopback: the API needs a bearer token.*CLAW_TRACE_TOKEN/);
  const agent = await startAgent('tok', agentYaml('x', [log], 'api:\n  host: 0.0.0.0\n'), { CLAW_TRACE_TOKEN: TOKEN });
  try {
    assert.is((await get(agent.port, '/healthz')).status, 200, 'liveness needs no token');
    const no = await get(agent.port, '/metrics');
    assert.is(no.status, 401);
    assert.is(no.headers['www-authenticate'], 'Bearer');
    assert.is((await get(agent.port, '/metrics', { authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.is((await get(agent.port, '/metrics', { authorization: `Bearer ${TOKEN}` })).status, 200);
  } finally {
    await stopProcess(agent.p, 'SIGTERM');
  }
});

live.run('two agents in two regions behind two proxies answer one cross-region lookup as one trace', async () => {
  assertTools(live.missing);
  const [edge, inner, dead] = (await freePorts(3)) as [number, number, number];
  const nInner = await startNginx('inner', inner, dead, false);
  const nEdge = await startNginx('edge', edge, inner, true);
  const agents: RunningAgent[] = [];
  try {
    agents.push(await startAgent('edge', agentYaml('eu-west', [path.join(dir, 'edge', 'access.log')])));
    agents.push(
      await startAgent(
        'inner',
        agentYaml('us-east', [path.join(dir, 'inner', 'access.log'), path.join(dir, 'inner', 'error.log')]),
      ),
    );
    const res = await get(edge, '/refused', { 'x-request-id': 'cross-region-1' });
    assert.is(res.status, 502);
    await waitFor(
      "both regions' agents to have the request, the inner one with its error line",
      async () =>
        (await get(agents[0]!.port, '/v1/requests/cross-region-1')).status === 200 &&
        (await get(agents[1]!.port, '/v1/requests/cross-region-1')).body.includes('upstream-refused'),
    );
    const [deadAgent] = (await freePorts(1)) as [number];
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'cross-region-1',
        '--json',
        '--agent-timeout',
        '2s',
        '--agent',
        `http://127.0.0.1:${agents[0]!.port}`,
        '--agent',
        `http://127.0.0.1:${agents[1]!.port}`,
        '--agent',
        `http://127.0.0.1:${deadAgent}`,
      ],
      { encoding: 'utf8' },
    );
    assert.is(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      spans: { kind: string; region: string; service: string; start: number; end: number }[];
      diagnosis: { causes: { id: string }[] };
      agents: { found: boolean; error?: string }[];
    };
    const hops = j.spans.filter((s) => s.kind === 'SERVER');
    assert.equal(hops.map((h) => h.region).sort(), ['eu-west', 'us-east'], "both regions' hops in one trace");
    assert.is(j.diagnosis.causes[0]!.id, 'upstream-refused', 'the cause from the region where it failed');
    assert.equal(
      j.agents.map((a) => a.found),
      [true, true, false],
    );
    assert.match(r.stderr, new RegExp(`agent http://127.0.0.1:${deadAgent} did not answer: ECONNREFUSED`));
    const text = spawnSync(
      process.execPath,
      [
        CLI,
        'cross-region-1',
        '--agent',
        `http://127.0.0.1:${agents[0]!.port}`,
        '--agent',
        `http://127.0.0.1:${agents[1]!.port}`,
      ],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    assert.match(
      text.stdout,
      /nginx \(eu-west\)[\s\S]*nginx \(us-east\)[\s\S]*cause\s+upstream-refused/,
      `stdout:\n${text.stdout}\nstderr:\n${text.stderr}`,
    );
    // The agents from a config file's `agents:` list.
    const cfg = path.join(dir, 'lookup.yaml');
    writeFileSync(cfg, `agents:\n  - http://127.0.0.1:${agents[0]!.port}\n  - http://127.0.0.1:${agents[1]!.port}\n`);
    const fromConfig = spawnSync(process.execPath, [CLI, 'cross-region-1', '-c', cfg, '--json'], { encoding: 'utf8' });
    assert.is(fromConfig.status, 0, fromConfig.stderr);
    assert.equal(
      (JSON.parse(fromConfig.stdout) as { agents: { found: boolean }[] }).agents.map((a) => a.found),
      [true, true],
    );
  } finally {
    for (const a of agents) await stopProcess(a.p, 'SIGTERM');
    await stopProcess(nEdge, 'SIGQUIT');
    await stopProcess(nInner, 'SIGQUIT');
  }
});

t.run();
