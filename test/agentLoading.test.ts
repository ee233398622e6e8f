/**
 * What the agent holds in memory starts with what it loads (issue 14: RSS <= 110 MB at 5,000
 * lines/s). An agent without an OTLP endpoint never loads the OTel packages; the lookup route's
 * code (correlation, diagnosis, the trace JSON's TypeBox schema) is loaded at its first request,
 * and then answers as before. A module-load hook on the real command says what was loaded.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { lookUpRequest } from '../src/agent/requestLookup.js';
import { agentV8Flags, PRETENURING_OFF, TOP_TIER_OFF } from '../src/agent/v8Flags.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { fixture, REPO } from './helpers.js';
import { type AgentProcess, httpGet, startAgentProcess } from './support/agent.js';
import { tempDirEach } from './support/tempDir.js';
import { waitFor } from './support/wait.js';

const t = suite('agentLoading');
const dir = tempDirEach(t, 'agent-loading');
const HOOKS = pathToFileURL(path.join(REPO, 'test/support/loadLog.mjs')).href;
const ID = '0a251a1eb55548acadd21e5ddb31ab82'; // a 502 (upstream refused) in the nginx fixtures

/** An agent over the nginx fixtures (backfilled) whose loaded modules are listed in `log()`. */
async function agentLogging(name: string, extra = ''): Promise<{ a: AgentProcess; log: () => string[]; db: string }> {
  const db = path.join(dir(), `${name}.db`);
  const file = path.join(dir(), `${name}-modules.txt`);
  const yaml =
    `region: us-east\nindex: ${db}\nbackfill: true\nlog: { level: warn }\nsources:\n` +
    `  - path: ${fixture('nginx', 'claw_json.log')}\n  - path: ${fixture('nginx', 'error.log')}\n    zone: UTC\n${extra}`;
  const a = await startAgentProcess(dir(), name, yaml, {
    CLAW_LOAD_LOG: file,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${HOOKS}`.trim(),
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  });
  return { a, db, log: () => readFileSync(file, 'utf8').split('\n').filter(Boolean) };
}

const lookupCode = (m: string) => /typebox|\/src\/diagnose\/|\/src\/correlate\//.test(m);

t(
  'without an endpoint no OTel package is loaded; the lookup code only at the first lookup, which answers as before',
  async () => {
    const { a, log, db } = await agentLogging('plain');
    let res: Awaited<ReturnType<typeof httpGet>>;
    try {
      // Listening means the files were read (the start waits for the first reads).
      assert.ok(
        log().some((m) => m.includes('/src/tail/tailer.js')),
        'the hook sees the modules',
      );
      assert.equal(
        log().filter((m) => m.includes('@opentelemetry')),
        [],
        'no OTel package without an endpoint',
      );
      assert.equal(log().filter(lookupCode), [], 'no lookup code before a lookup');
      res = await httpGet(a.port, `/v1/requests/${ID}`);
      assert.is(res.status, 200);
      assert.match(String(res.headers['content-type']), 'application/json');
      assert.ok(log().some((m) => m.includes('typebox')) && log().some((m) => m.includes('/src/diagnose/')));
      assert.is((await httpGet(a.port, '/v1/requests/no-such-request')).status, 404);
    } finally {
      await stopProcess(a.p, 'SIGTERM');
    }
    const index = new RecordIndex(db);
    try {
      const r = lookUpRequest(index, ID);
      assert.ok('trace' in r, 'the test finds the request too');
      assert.equal(JSON.parse(res.body), JSON.parse(JSON.stringify(r.trace)), 'the same trace JSON, every field');
    } finally {
      index.close();
    }
  },
);

t('with an endpoint (down) the OTel packages are loaded: the hook would see them', async () => {
  const [dead] = (await freePorts(1)) as [number];
  const { a, log } = await agentLogging('exporting', `export:\n  endpoint: http://127.0.0.1:${dead}\n`);
  try {
    await waitFor('the OTel packages loaded', () => log().some((m) => m.includes('@opentelemetry')));
  } finally {
    await stopProcess(a.p, 'SIGTERM');
  }
});

t(
  'on Node >= 22 nothing in the agent reaches TurboFan, from its first line, and Maglev does; on Node 20 TurboFan as before',
  async () => {
    const log = path.join(dir(), 'tier.json');
    const db = path.join(dir(), 'tier.db');
    // Files to read at the start (the agent's start-up and a backfill: what would reach TurboFan
    // first), and V8's own trace of what it optimizes (stdout).
    const yaml =
      `region: us-east\nindex: ${db}\nbackfill: true\nlog: { level: warn }\nsources:\n` +
      `  - path: ${fixture('nginx', 'claw_json.log')}\n  - path: ${fixture('nginx', 'error.log')}\n    zone: UTC\n`;
    const probe = pathToFileURL(path.join(REPO, 'test/support/tierProbe.mjs')).href;
    const a = await startAgentProcess(dir(), 'tier', yaml, { CLAW_TIER_LOG: log }, 10_000, [
      '--allow-natives-syntax',
      '--trace-opt',
      '--import',
      probe,
    ]);
    const major = Number(process.versions.node.split('.')[0]);
    try {
      await waitFor('the probe to write its tier', () => existsSync(log));
      const tier = JSON.parse(readFileSync(log, 'utf8')) as { maglev: boolean; turbofan: boolean };
      assert.equal(
        tier,
        major >= 22 ? { maglev: true, turbofan: false } : { maglev: false, turbofan: true },
        process.version,
      );
    } finally {
      await stopProcess(a.p, 'SIGTERM');
    }
    assert.is(a.p.exitCode, 0, `SIGTERM stops it cleanly: ${a.stderr().slice(-500)}`);
    // The probe's function above; on Node >= 22 nothing before it either (set in runAgent only, the
    // command's start-up had compiled a dozen functions with TurboFan).
    const turbofan = a
      .stdout()
      .split('\n')
      .filter((l) => /TURBOFAN/.test(l));
    if (major >= 22) assert.equal(turbofan, [], 'no TurboFan compile in the agent');
    else assert.ok(turbofan.length > 0, 'Node 20: TurboFan as before');
  },
);

t('an agent with no sources says so, listens, and leaves the first start to the sources a reload adds', async () => {
  const db = path.join(dir(), 'none.db');
  const yaml = (sources: string) => `region: us-east\nindex: ${db}\nlog: { level: info }\nsources: ${sources}\n`;
  const a = await startAgentProcess(dir(), 'none', yaml('[]'));
  try {
    // Before session 14 such an agent exited 13 at once: nothing kept it alive while its start
    // waited for chokidar's first scan, which never comes with nothing to scan.
    await waitFor('the warning', () => a.stderr().includes('no sources in the config'));
    assert.is((await httpGet(a.port, '/healthz')).status, 200);
    // A log with a line in it already, added by a reload: followed from its end, as on a first start.
    const [old, next] = readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n') as [string, string];
    const log = path.join(dir(), 'access.log');
    writeFileSync(log, `${old}\n`);
    writeFileSync(path.join(dir(), 'none.yaml'), yaml(`[{ path: ${log} }]`));
    a.p.kill('SIGHUP');
    await waitFor('the reload', () => /config reloaded/.test(a.stderr()));
    appendFileSync(log, `${next}\n`);
    await waitFor(
      'the appended line in the API',
      async () => (await httpGet(a.port, '/v1/requests/0a251a1eb55548acadd21e5ddb31ab82')).status === 200,
    );
    assert.is((await httpGet(a.port, '/v1/requests/client-abc-123')).status, 404, 'the line already there is not read');
  } finally {
    await stopProcess(a.p, 'SIGTERM');
  }
  assert.is(a.p.exitCode, 0);
});

t("the agent's V8 flags by Node version; a tier flag given to node stands", () => {
  assert.equal(agentV8Flags(20, []), [PRETENURING_OFF], 'Node 20: no Maglev to stand in');
  assert.equal(agentV8Flags(22, ['--max-semi-space-size=4']), [PRETENURING_OFF, TOP_TIER_OFF]);
  assert.equal(agentV8Flags(24, []), [PRETENURING_OFF, TOP_TIER_OFF]);
  for (const own of [
    '--max-opt=3',
    '--max_opt=3',
    '-max-opt=3',
    '--turbofan',
    '--no-maglev',
    '--no_maglev',
    '--nomaglev',
    '--always-turbofan',
    '--turbo-filter=foo',
  ])
    assert.equal(agentV8Flags(24, [own]), [PRETENURING_OFF], own);
  // Not tier flags: a Maglev sub-flag, the semi-space size.
  for (const other of ['--maglev-inlining', '--no-maglev-inlining', '--max-semi-space-size=4'])
    assert.equal(agentV8Flags(24, [other]), [PRETENURING_OFF, TOP_TIER_OFF], other);
});

t.run();
