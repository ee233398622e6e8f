/**
 * `claw-trace <request-id>` end to end: a real two-hop request (edge Caddy -> builder nginx, two
 * region labels, one request ID), gateway joins, hostile IDs on the command line.
 *
 * The gateway lines here are written in the real gateway's format (tslog, as in fixtures/openclaw)
 * by the test: a stand-in whose failures can be made on demand (test/e2e.test.ts runs the real gateway).
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess, waitForPort } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { assembleTrace } from '../src/correlate/assemble.js';
import { diagnose } from '../src/diagnose/diagnose.js';
import { failureReport } from '../src/diagnose/failureReport.js';
import { resolveExport } from '../src/export/config.js';
import { ExportPipeline } from '../src/export/pipeline.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { type StandIn, startGatewayStandIn } from './gatewayStandIn.js';
import { REPO } from './helpers.js';
import { OtlpReceiver } from './otlpReceiver.js';
import { gatewayLine, indexLines, nginxJson, T0 } from './support/logLines.js';
import { nginxConf, startNginx } from './support/nginx.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('lookup');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-lookup-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));
const CLI = path.join(REPO, 'dist/src/cli/main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

/**
 * A builder nginx: the README's request-ID and logging config, proxying to `upstream`. `front`:
 * it is the first proxy (answers with X-Request-Id, starts X-Forwarded-For); behind an edge it is not.
 */
const builderNginxConf = (o: {
  port: number;
  upstream: number;
  workerConnections?: number;
  log?: string;
  front?: boolean;
}) =>
  nginxConf({
    dir,
    port: o.port,
    upstream: o.upstream,
    workerConnections: o.workerConnections,
    logPrefix: o.log,
    front: o.front,
  });

/** Starts nginx with `conf`, runs `drive`, stops nginx by PID. */
async function withNginx(conf: string, port: number, drive: () => Promise<void>): Promise<void> {
  const nginx = await startNginx(dir, conf, port);
  try {
    await drive();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await stopProcess(nginx, 'SIGQUIT');
  }
}

/** An edge Caddy (its own request uuid, sent on as X-Request-Id) before a builder nginx; logs edge-* and builder-*. */
async function withTwoHops(
  o: { upstream: number; workerConnections?: number },
  drive: (edgePort: number) => Promise<void>,
): Promise<void> {
  const [edgePort, builderPort] = (await freePorts(2)) as [number, number];
  writeFileSync(
    path.join(dir, 'Caddyfile'),
    `{\n\tadmin off\n\tauto_https off\n\tlog errors {\n\t\toutput file ${dir}/edge-error.log\n\t\tformat json\n\t\tinclude http.log.error\n\t}\n}\nhttp://:${edgePort} {\n\tbind 127.0.0.1\n\tlog {\n\t\toutput file ${dir}/edge-access.log\n\t\tformat json\n\t}\n\theader X-Request-Id {http.request.uuid}\n\treverse_proxy 127.0.0.1:${builderPort} {\n\t\theader_up X-Request-Id {http.request.uuid}\n\t}\n}\n`,
  );
  await withNginx(
    builderNginxConf({
      port: builderPort,
      upstream: o.upstream,
      workerConnections: o.workerConnections,
      log: 'builder-',
    }),
    builderPort,
    async () => {
      const caddy = spawn('caddy', ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
        stdio: 'ignore',
        env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      });
      try {
        await waitForPort(edgePort, caddy, 'caddy');
        await drive(edgePort);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await stopProcess(caddy, 'SIGTERM');
      }
    },
  );
}

/** GET through a proxy; resolves with the X-Request-Id it answered with ('' when the connection failed). */
const getId = (port: number, p: string, headers: Record<string, string> = {}) =>
  new Promise<string>((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['x-request-id'])));
      })
      .on('error', () => resolve(''));
  });

const proxies = testNeeding(['nginx', 'caddy'], 'lookup.test (two hops)', t);
proxies.run(
  'two proxies in two regions, one request ID: one trace with both hops, the cause from the inner one',
  async () => {
    assertTools(proxies.missing);
    const [refused] = await freePorts(1);
    let requestId = '';
    await withTwoHops({ upstream: refused! }, async (edgePort) => {
      requestId = await getId(edgePort, '/v1/chat');
    });
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    await intakeFile(idx, path.join(dir, 'edge-access.log'), { region: 'eu-edge' }); // no edge error: nginx answered it
    for (const f of ['builder-access.log', 'builder-error.log'])
      await intakeFile(idx, path.join(dir, f), { region: 'us-east', zone: 'local' });
    const trace = assembleTrace(idx, requestId)!;
    assert.ok(trace, `the trace of ${requestId}`);
    assert.is(trace.traceId, requestId.replace(/-/g, ''), 'a UUID request ID is the trace ID without hyphens');
    const hops = trace.spans.filter((s) => s.kind === 'SERVER');
    assert.equal(
      hops.map((h) => [h.service, h.region, h.status]),
      [
        ['caddy', 'eu-edge', 502],
        ['nginx', 'us-east', 502],
      ],
    );
    assert.is(hops[1]!.parentSpanId, hops[0]!.spanId, 'the builder hop is inside the edge hop');
    const d = diagnose(trace, idx);
    assert.is(d.causes[0]?.id, 'upstream-refused');
    assert.ok(
      d.causes[0]!.evidence.some((e) => e.source === 'nginx-error' && e.region === 'us-east'),
      "the evidence is the builder's error line",
    );
    idx.close();
    assert.is(
      run('--db', path.join(dir, 'i.db'), '--json', trace.traceId).status,
      0,
      'the trace ID from Jaeger/Tempo finds the request too',
    );
    const out = run('--db', path.join(dir, 'i.db'), requestId.slice(0, 13));
    assert.is(out.status, 0, out.stderr);
    assert.match(out.stdout, /caddy \(eu-edge\)/);
    assert.match(out.stdout, /nginx \(us-east\)/);
    assert.match(out.stdout, /cause {2}upstream-refused/);
  },
);

const nginxOnly = testNeeding(['nginx'], 'lookup.test (gateway stand-in)', t);

/**
 * nginx 1.22 out of worker_connections resets clients with no access line, logging only
 * "[warn] N worker_connections are not enough, reusing connections": the 502 is seen one hop out,
 * by the edge proxy, and the builder's warning is the evidence next to it in time.
 */
proxies.run('overload: edge Caddy sees 502s while the builder nginx runs out of worker_connections', async () => {
  assertTools(proxies.missing);
  const slow = http.createServer((_req, res) => setTimeout(() => res.end('ok\n'), 800));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  try {
    await withTwoHops(
      { upstream: (slow.address() as { port: number }).port, workerConnections: 6 },
      async (edgePort) => {
        await Promise.all(Array.from({ length: 12 }, (_, i) => getId(edgePort, `/r/${i}`)));
      },
    );
  } finally {
    await new Promise((r) => slow.close(r));
  }
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  await intakeFile(idx, path.join(dir, 'edge-access.log'), { region: 'eu-edge' });
  await intakeFile(idx, path.join(dir, 'edge-error.log'), { region: 'eu-edge' });
  await intakeFile(idx, path.join(dir, 'builder-access.log'), { region: 'us-east' });
  await intakeFile(idx, path.join(dir, 'builder-error.log'), { region: 'us-east', zone: 'local' });
  const failed = idx.db
    .prepare(`SELECT request_id FROM records WHERE source = 'caddy-access' AND status = 502`)
    .pluck()
    .all() as string[];
  assert.ok(failed.length > 0, 'the edge logged 502s for the requests the builder reset');
  const d = diagnose(assembleTrace(idx, failed[0]!)!, idx);
  assert.is(d.causes[0]?.id, 'overload', JSON.stringify(d.causes.map((c) => c.id)));
  assert.ok(d.causes[0]!.evidence.some((e) => e.errorKind === 'worker-connections' && e.region === 'us-east'));
  // `claw-trace 5xx` groups them under overload, and the exported spans carry it (the export
  // pipeline over this index, to an OTLP receiver standing in for the Collector).
  const report = failureReport(idx, { from: 0, to: 4e12 });
  assert.ok(
    report.groups.some((g) => g.cause === 'overload' && g.region === 'eu-edge'),
    JSON.stringify(report.groups),
  );
  idx.close();
  const receiver = await new OtlpReceiver().up();
  const config = resolveExport({ endpoint: receiver.url, joinWindowMs: 1 }, {}, {}).config!;
  const p = new ExportPipeline(path.join(dir, 'i.db'), config, { startAfter: 0 });
  p.flushAll();
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !p.idle()) {
      while (p.tick()) {
        /* all due */
      }
      await p.send();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(
      receiver.spans.some(
        (x) => x.attributes['claw.request_id'] === failed[0] && x.attributes['claw.diagnosis.cause'] === 'overload',
      ),
      'the exported span carries overload',
    );
  } finally {
    await p.stop();
    await receiver.down();
  }
});

async function indexNginxAndGateway(): Promise<RecordIndex> {
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  for (const f of ['access.log', 'error.log', 'gateway.log'])
    await intakeFile(idx, path.join(dir, f), { zone: 'local' });
  return idx;
}

nginxOnly.run('startup race: real nginx refused while the gateway (stand-in) was starting, then served', async () => {
  assertTools(nginxOnly.missing);
  const [gatewayPort, port] = (await freePorts(2)) as [number, number];
  let failed = '';
  let gateway: StandIn | undefined;
  await withNginx(builderNginxConf({ port, upstream: gatewayPort, front: true }), port, async () => {
    failed = await getId(port, '/v1/chat');
    gateway = await startGatewayStandIn({ port: gatewayPort, log: path.join(dir, 'gateway.log') });
    await getId(port, '/v1/chat');
  });
  await gateway?.close();
  const idx = await indexNginxAndGateway();
  const d = diagnose(assembleTrace(idx, failed)!, idx);
  // It failed 1 run in 4 or 5 here (sessions 13-14, before and after their changes) with only
  // upstream-refused named: what the diagnosis saw, for the next look.
  const seen = () =>
    JSON.stringify({ causes: d.causes, missing: d.missing }, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) +
    ['access.log', 'error.log', 'gateway.log']
      .map((f) => `\n--- ${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-3000)}`)
      .join('');
  assert.is(d.causes[0]?.id, 'gateway-startup-race', seen());
  assert.ok(
    d.causes[0]!.evidence.some((e) => e.source === 'nginx-error') &&
      d.causes[0]!.evidence.some((e) => e.lifecycle === 'http-starting'),
  );
  idx.close();
});

nginxOnly.run(
  'trusted proxies: real nginx forwards X-Forwarded-For to a gateway (stand-in) that trusts no proxy: 403 and its warning',
  async () => {
    assertTools(nginxOnly.missing);
    const [gatewayPort, port] = (await freePorts(2)) as [number, number];
    const gateway = await startGatewayStandIn({
      port: gatewayPort,
      log: path.join(dir, 'gateway.log'),
      trustedProxies: [],
    });
    let id = '';
    let local = '';
    await withNginx(builderNginxConf({ port, upstream: gatewayPort, front: true }), port, async () => {
      // A client from outside, through a CDN that says so; and a check run on the host itself.
      id = await getId(port, '/v1/chat', { 'x-forwarded-for': '203.0.113.7' });
      local = await getId(port, '/v1/chat');
    });
    await gateway.close();
    const idx = await indexNginxAndGateway();
    const d = diagnose(assembleTrace(idx, id)!, idx);
    assert.is(d.status, 403);
    assert.is(d.causes[0]?.id, 'trusted-proxies-missing', JSON.stringify(d.causes.map((c) => c.id)));
    // Forwarded for a loopback client, the gateway refuses it even through a trusted proxy: that comes first.
    const l = diagnose(assembleTrace(idx, local)!, idx);
    assert.equal(
      l.causes.map((c) => c.id),
      ['proxy-attribution-loopback', 'trusted-proxies-missing'],
    );
    idx.close();
  },
);

// ---- the gateway side, in the gateway's own format -------------------------------------------

async function index(files: Record<string, string[]>, formats: Record<string, string>): Promise<RecordIndex> {
  return indexLines(
    dir,
    Object.fromEntries(Object.entries(files).map(([name, lines]) => [name, { lines, format: formats[name]! }])),
  );
}

t(
  'a WebSocket session is joined to its gateway connection (inferred, with a confidence) and its RPCs; a 1006 close is a failure',
  async () => {
    const conn = '6f1c2a9b-8d3e-4f5a-9b1c-2d3e4f5a41d2';
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15';
    const idx = await index(
      {
        'access.log': [
          nginxJson({
            msec: ((T0 + 90_300) / 1000).toFixed(3),
            request_time: '90.300',
            req_id: 'ws-req-1',
            request_uri: '/ws',
            status: '101',
            http_upgrade: 'websocket',
            http_user_agent: ua,
            http_x_forwarded_for: '203.0.113.9',
            upstream_addr: '127.0.0.1:18789',
            upstream_status: '101',
            upstream_connect_time: '0.000',
            upstream_header_time: '0.002',
            upstream_response_time: '90.300',
          }),
        ],
        'gateway.log': [
          gatewayLine(
            T0 + 5_000,
            'gateway/ws',
            `\u001b[93m⇄\u001b[39m res ✓ chat.send 812ms conn=6f1c2a9b…41d2 id=1b2c3d4e…9f00`,
          ),
          gatewayLine(T0 + 90_310, 'gateway/ws', `webchat disconnected code=1006 reason=n/a conn=${conn}`, {
            durationMs: 90_290,
            remoteAddr: '127.0.0.1',
            forwardedFor: '203.0.113.9',
            host: 'claw.example.com',
            userAgent: ua,
            localAddr: '127.0.0.1',
            localPort: 18789,
          }),
        ],
      },
      { 'access.log': 'nginx-json', 'gateway.log': 'openclaw' },
    );
    const trace = assembleTrace(idx, 'ws-req-1')!;
    const gw = trace.spans.find((s) => s.service === 'openclaw-gateway' && s.kind === 'SERVER')!;
    assert.ok(gw, 'the gateway connection is joined');
    assert.is(gw.join.tier, 3);
    assert.ok(gw.join.confidence >= 0.7 && gw.join.confidence < 1, `inferred, never certain (${gw.join.confidence})`);
    assert.match(gw.join.how, /user agent/);
    assert.is(gw.attrs['websocket.close_code'], 1006);
    const rpc = trace.spans.find((s) => s.kind === 'INTERNAL');
    assert.is(rpc?.name, 'rpc chat.send');
    assert.is(rpc?.parentSpanId, gw.spanId);
    const d = diagnose(trace, idx);
    assert.ok(d.failed, 'a 101 that ended 1006 is a failure');
    idx.close();
    const json = JSON.parse(run('--db', path.join(dir, 'i.db'), '--json', 'ws-req-1').stdout) as {
      spans: { service: string; join: { tier: number } }[];
    };
    assert.ok(
      json.spans.some((s) => s.service === 'openclaw-gateway' && s.join.tier === 3),
      'the JSON says the join is tier 3',
    );
  },
);

t('refused right after the gateway restarted: a startup race, with the lifecycle line as evidence', async () => {
  const idx = await index(
    {
      'access.log': [
        nginxJson({
          msec: ((T0 + 1000) / 1000).toFixed(3),
          request_time: '0.001',
          req_id: 'deploy-1',
          request_uri: '/v1/chat',
          status: '502',
          connection: '7',
          request: 'GET /v1/chat HTTP/1.1',
          upstream_addr: '127.0.0.1:18789',
          upstream_status: '502',
          upstream_response_time: '0.000',
        }),
      ],
      'error.log': [
        '2026/11/22 13:00:00 [error] 11#11: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: claw, request: "GET /v1/chat HTTP/1.1", upstream: "http://127.0.0.1:18789/v1/chat", host: "claw.example.com"',
      ],
      'gateway.log': [
        gatewayLine(T0 + 2500, 'gateway', 'starting HTTP server...'),
        gatewayLine(T0 + 3900, 'gateway', 'http server listening (2 plugins: browser, memory; 1.4s)'),
      ],
    },
    { 'access.log': 'nginx-json', 'error.log': 'nginx-error', 'gateway.log': 'openclaw' },
  );
  const d = diagnose(assembleTrace(idx, 'deploy-1')!, idx);
  assert.is(d.causes[0]?.id, 'gateway-startup-race');
  assert.ok(d.causes[0]!.evidence.some((e) => e.lifecycle === 'http-starting'));
  assert.not.ok(
    d.causes.some((c) => c.id === 'upstream-refused'),
    'the generic cause it implies is not repeated',
  );
  idx.close();
});

t(
  'refused in the millisecond the gateway started and listened: still a startup race (the refusal orders them)',
  async () => {
    // A stand-in that starts within a millisecond stamps both lines with the proxy's access line's
    // time: a tie sorted "listening before the request" named only upstream-refused (CI, 1 run in 5).
    const at = T0 + 1000;
    const lines = (uri: string) => ({
      'access.log': [
        nginxJson({
          msec: (at / 1000).toFixed(3),
          request_time: '0.001',
          req_id: 'tie-1',
          request_uri: uri,
          status: '502',
          connection: '7',
          request: `GET ${uri} HTTP/1.1`,
          upstream_addr: '127.0.0.1:18789',
          upstream_status: '502',
          upstream_response_time: '0.000',
        }),
      ],
      'error.log': [
        `2026/11/22 13:00:01 [error] 11#11: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: claw, request: "GET ${uri} HTTP/1.1", upstream: "http://127.0.0.1:18789${uri}", host: "claw.example.com"`,
      ],
      'gateway.log': [
        gatewayLine(at, 'gateway', 'starting HTTP server...'),
        gatewayLine(at, 'gateway', 'http server listening (0 plugins; 0.0s)'),
      ],
    });
    const idx = await index(lines('/v1/chat'), {
      'access.log': 'nginx-json',
      'error.log': 'nginx-error',
      'gateway.log': 'openclaw',
    });
    const d = diagnose(assembleTrace(idx, 'tie-1')!, idx);
    assert.is(d.causes[0]?.id, 'gateway-startup-race', JSON.stringify(d.causes.map((c) => c.id)));
    assert.ok(d.causes[0]!.evidence.some((e) => e.lifecycle === 'http-starting'));
    idx.close();
  },
);

t("a 403 next to the gateway's trusted-proxy warning: trustedProxies is missing the proxy", async () => {
  const idx = await index(
    {
      'access.log': [
        nginxJson({
          msec: ((T0 + 1000) / 1000).toFixed(3),
          request_time: '0.004',
          req_id: 'tp-1',
          request_uri: '/v1/chat',
          status: '403',
          xff: '198.51.100.20',
          upstream_addr: '127.0.0.1:18789',
          upstream_status: '403',
          upstream_connect_time: '0.000',
          upstream_header_time: '0.004',
          upstream_response_time: '0.004',
        }),
      ],
      'gateway.log': [
        gatewayLine(
          T0 + 990,
          'gateway',
          'gateway: observed unattributable proxy-shaped traffic from 127.0.0.1; Configure gateway.trustedProxies narrowly',
          undefined,
          'WARN',
        ),
      ],
    },
    { 'access.log': 'nginx-json', 'gateway.log': 'openclaw' },
  );
  const d = diagnose(assembleTrace(idx, 'tp-1')!, idx);
  assert.is(d.causes[0]?.id, 'trusted-proxies-missing');
  idx.close();
  // A 403 the proxy decided itself (no upstream) is not a failure of the gateway path.
  writeFileSync(
    path.join(dir, 'own.log'),
    `${nginxJson({
      msec: ((T0 + 2000) / 1000).toFixed(3),
      request_time: '0.000',
      req_id: 'deny-1',
      request_uri: '/admin',
      status: '403',
    })}\n`,
  );
  const idx2 = new RecordIndex(path.join(dir, 'i.db'));
  await intakeFile(idx2, path.join(dir, 'own.log'), { format: 'nginx-json' });
  assert.is(diagnose(assembleTrace(idx2, 'deny-1')!, idx2).failed, false);
  idx2.close();
});

t(
  'skewed clocks: the inner hop is placed inside the outer one and the skew is shown; over the cap it is only reported',
  async () => {
    const edge = (id: string, end: number) =>
      JSON.stringify({
        level: 'error',
        ts: end / 1000,
        logger: 'http.log.access.log0',
        msg: 'handled request',
        duration: 0.2,
        status: 502,
        request: {
          remote_ip: '198.51.100.7',
          remote_port: '40000',
          proto: 'HTTP/1.1',
          method: 'GET',
          host: 'claw.example.com',
          uri: '/v1/chat',
          headers: {},
        },
        resp_headers: { 'X-Request-Id': [id] },
      });
    // The builder's clock runs 1.5 s ahead (2nd request: 9 s, over the cap).
    const builder = (id: string, end: number) =>
      nginxJson({
        msec: (end / 1000).toFixed(3),
        request_time: '0.150',
        req_id: id,
        http_x_request_id: id,
        http_x_forwarded_for: '198.51.100.7',
        request_uri: '/v1/chat',
        status: '502',
        upstream_addr: '127.0.0.1:18789',
        upstream_status: '502',
        upstream_response_time: '0.000',
      });
    const idx = await index(
      {
        'edge.log': [
          edge('0e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22', T0 + 200),
          edge('1e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22', T0 + 60_200),
        ],
        'builder.log': [
          builder('0e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22', T0 + 175 + 1500),
          builder('1e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22', T0 + 60_175 + 9000),
        ],
      },
      { 'edge.log': 'caddy', 'builder.log': 'nginx-json' },
    );
    const a = assembleTrace(idx, '0e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22')!;
    assert.equal(
      a.skews.map((k) => [k.ms, k.corrected]),
      [[1500, true]],
    );
    const [outer, inner] = a.spans.filter((s) => s.kind === 'SERVER');
    assert.is(inner!.parentSpanId, outer!.spanId);
    assert.ok(inner!.start >= outer!.start && inner!.end <= outer!.end, 'corrected into the outer hop');
    const b = assembleTrace(idx, '1e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22')!;
    assert.equal(
      b.skews.map((k) => [k.ms, k.corrected]),
      [[9000, false]],
    );
    idx.close();
    assert.match(
      run('--db', path.join(dir, 'i.db'), '0e6a7c1e').stdout,
      /runs ahead of .* by 1500 ms \(corrected above\)/,
    );
  },
);

t('fleet patterns: failures in one region only, on WebSockets only, right after a gateway restart', async () => {
  const line = (i: number, o: Record<string, string>) =>
    nginxJson({
      msec: ((T0 + i * 1000) / 1000).toFixed(3),
      request_time: '0.001',
      req_id: `p-${o.file}-${i}`,
      request_uri: '/ws',
      ...o,
    });
  const east = [
    ...[0, 1, 2, 3].map((i) => line(i, { file: 'east', status: '502', http_upgrade: 'websocket' })),
    line(4, { file: 'east', status: '200' }),
  ];
  const west = [5, 6, 7].map((i) => line(i, { file: 'west', status: '200' }));
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  for (const [name, lines, region] of [
    ['east.log', east, 'us-east'],
    ['west.log', west, 'eu-west'],
  ] as const) {
    writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
    await intakeFile(idx, path.join(dir, name), { format: 'nginx-json', region });
  }
  writeFileSync(
    path.join(dir, 'gw.log'),
    `${gatewayLine(T0 - 500, 'gateway', 'http server listening (0 plugins; 0.9s)')}\n`,
  );
  await intakeFile(idx, path.join(dir, 'gw.log'), { format: 'openclaw' });
  const { failureReport } = await import('../src/diagnose/failureReport.js');
  const r = failureReport(idx, { from: T0 - 10_000, to: T0 + 60_000 });
  assert.is(r.diagnosed, 4);
  assert.equal(
    r.patterns
      .filter((p) => p.cause === '*')
      .map((p) => p.id)
      .sort(),
    ['after-restart', 'only-one-region', 'only-websocket'],
  );
  assert.match(r.patterns.find((p) => p.id === 'only-one-region')!.summary, /us-east.*eu-west served 3 requests/);
  idx.close();
});

t('fleet pattern: failures only through the CDN while direct requests succeed', async () => {
  const line = (i: number, o: Record<string, string>) =>
    nginxJson({
      msec: ((T0 + i * 1000) / 1000).toFixed(3),
      request_time: '0.001',
      req_id: `cdn-${i}`,
      request_uri: '/v1/chat',
      ...o,
    });
  const idx = await index(
    {
      'access.log': [
        ...[0, 1, 2].map((i) => line(i, { status: '502', http_x_forwarded_for: '203.0.113.9, 198.51.100.1' })),
        ...[3, 4].map((i) => line(i, { status: '200' })),
      ],
    },
    { 'access.log': 'nginx-json' },
  );
  const { failureReport } = await import('../src/diagnose/failureReport.js');
  const r = failureReport(idx, { from: T0 - 10_000, to: T0 + 60_000 });
  assert.ok(
    r.patterns.some((p) => p.id === 'only-via-cdn' && p.cause === '*'),
    JSON.stringify(r.patterns.map((p) => p.id)),
  );
  idx.close();
});

t('no evidence: "unknown", saying what was missing', async () => {
  const idx = await index(
    {
      'access.log': [
        nginxJson({
          msec: ((T0 + 1000) / 1000).toFixed(3),
          request_time: '0.004',
          req_id: 'bare-1',
          request_uri: '/x',
          status: '500',
        }),
      ],
    },
    { 'access.log': 'nginx-json' },
  );
  const d = diagnose(assembleTrace(idx, 'bare-1')!, idx);
  assert.equal(d.causes, []);
  assert.ok(d.missing.some((m) => m.includes('error line')) && d.missing.some((m) => m.includes('gateway')));
  idx.close();
  const out = run('--db', path.join(dir, 'i.db'), 'bare-1');
  assert.match(out.stdout, /cause {2}unknown/);
});

t('hostile request IDs: ANSI, 10 KB and SQL text are escaped, bounded and bound, never executed', async () => {
  const ansi = 'evil\u001b[2J\u001b]0;pwned\u0007\u009b31m';
  const sql = "x' OR 1=1; DROP TABLE records; --";
  const idx = await index(
    {
      'access.log': [ansi, sql, 'k'.repeat(10_240)].map((id, i) =>
        nginxJson({
          msec: ((T0 + i * 1000) / 1000).toFixed(3),
          request_time: '0.001',
          req_id: id,
          request_uri: '/x',
          status: '502',
        }),
      ),
    },
    { 'access.log': 'nginx-json' },
  );
  idx.close();
  const db = path.join(dir, 'i.db');
  for (const id of [ansi, sql, 'k'.repeat(10_240)]) {
    const out = run('--db', db, id);
    assert.is(out.status, 0, `found: ${out.stderr.slice(0, 200)}`);
    assert.not.match(out.stdout + out.stderr, /[\u001b\u0007\u009b]/, 'no control character reaches the terminal');
    assert.ok(out.stdout.split('\n')[0]!.length < 400, 'a 10 KB ID is shown bounded');
  }
  const json = run('--db', db, '--json', ansi);
  assert.not.match(json.stdout, /[\u001b\u0007\u009b]/);
  assert.is((JSON.parse(json.stdout) as { requestId: string }).requestId, ansi, 'JSON keeps the exact ID, escaped');
  const idx2 = new RecordIndex(db);
  assert.is(idx2.counts().records, 3, 'the SQL text did nothing');
  idx2.close();
  assert.is(run('--db', db, 'no-such-request').status, 1, 'not found: exit 1');
  assert.is(run('--db', db, 'x').status, 0, 'a unique prefix works');
  const amb = run('--db', db, 'e');
  assert.is(amb.status, 0, 'unique: evil...');
  const empty = run('--db', db, '');
  assert.is(empty.status, 2);
  assert.match(empty.stderr, /empty/);
});

t.run();
