/**
 * End to end on a real stack: real nginx (Debian) in front of the real OpenClaw gateway
 * (openclaw@2026.9.6 on Node 24, installed by test/e2e/install-gateway.sh), each watched by
 * `claw-trace agent` processes that export to an OTLP/HTTP receiver (test/otlpReceiver.ts, which
 * stands in for the Collector). Each scenario asserts the diagnosis from the agent's API, the
 * trace's shape, `claw-trace 5xx`'s grouping, and the exported spans.
 *
 * Scenarios here need the real gateway: gateway stopped, wrong port, restart during a deploy
 * (startup race), WebSocket without Upgrade forwarding, WebSocket idle past the proxy's read
 * timeout, the proxy missing from gateway.trustedProxies, a 502 in one region only. Scenarios the
 * real gateway cannot produce on demand (a slow answer, a mid-response crash, a reset, overload,
 * TLS names) and `localhost` -> ::1 (this gateway listens on both loopbacks) run in the lab
 * (test/lab.test.ts) against real nginx and Caddy with stand-in upstreams.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LAB_CASES } from '../fixtures/lab/cases.js';
import { stopProcess } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { findGateway, startGateway } from './e2e/gateway.js';
import { fixture, parseLines, pathOf } from './helpers.js';
import { OtlpReceiver } from './otlpReceiver.js';
import { CLI, httpGet, startAgentProcess } from './support/agent.js';
import { nginxConf, startNginx as startNginxIn } from './support/nginx.js';
import { assertTools, testNeeding } from './toolCheck.js';
const t = suite('e2e');
let dir = '';
let receiver;
let gateway;
let gatewayPort = 0;
// The real gateway, like nginx, is a part this suite needs: skipped with a message off CI, a failure on CI.
const found = findGateway();
const needs = testNeeding(['nginx'], 'e2e.test (real nginx + the real OpenClaw gateway)', t);
const missingGateway = 'missing' in found ? found.missing : undefined;
if (missingGateway && !process.env.CI)
    process.stderr.write(`SKIP e2e.test: ${missingGateway}\n`);
const run = missingGateway && !process.env.CI ? t.skip : needs.run;
const assertStack = () => {
    assertTools(needs.missing);
    assert.is(missingGateway, undefined, `${missingGateway} (.ci/run installs it)`);
};
t.before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-e2e-'));
    receiver = await new OtlpReceiver().up();
    if (!missingGateway && needs.missing.length === 0) {
        [gatewayPort] = (await freePorts(1));
        gateway = await startGateway({ dir, port: gatewayPort });
    }
});
t.after(async () => {
    await gateway?.stop();
    await receiver.down();
    rmSync(dir, { recursive: true, force: true });
});
/** A builder nginx with the README's logging and request-ID propagation, plus the broken variants as locations. */
async function startNginx(name, port, upstream) {
    const d = path.join(dir, name);
    const [wrongPort] = (await freePorts(1));
    const conf = nginxConf({
        dir: d,
        port,
        front: true,
        workerConnections: 128,
        http: 'map $http_upgrade $connection_upgrade { default upgrade; "" close; }',
        server: `
    proxy_http_version 1.1;
    location / {                      # the README's config: upgrades forwarded, long read timeout
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_pass ${upstream};
    }
    location /ws-short/ {             # broken: a read timeout shorter than the gateway's 30 s tick
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 2s;
      proxy_pass ${upstream}/;
    }
    location /no-upgrade/ {           # broken: Upgrade/Connection not forwarded
      proxy_pass ${upstream}/;
    }
    location /xff/ {                  # forwards X-Forwarded-For to a gateway that does not trust this proxy
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass ${upstream}/;
    }
    location /wrong-port/ {           # broken: the gateway is not on this port
      proxy_pass http://127.0.0.1:${wrongPort}/;
    }`,
        forwardedFor: false,
    });
    return startNginxIn(d, conf, port, `nginx ${name}`);
}
async function startAgent(name, sources) {
    const db = path.join(dir, `${name}.db`);
    const yaml = `index: ${db}\nbackfill: true\nbuilder: e2e-${name}\nsources:\n${sources.map((s) => `  - path: ${s.path}\n    region: ${s.region}\n${s.zone ? `    zone: ${s.zone}\n` : ''}`).join('')}` +
        `export: { endpoint: "${receiver.url}", joinWindowMs: 300 }\nlog: { level: warn }\n`;
    return { ...(await startAgentProcess(dir, name, yaml)), db };
}
const request = async (port, p, id, headers = {}) => (await httpGet(port, p, { 'x-request-id': id, ...headers })).status;
/**
 * A WebSocket handshake on a raw socket; resolves with the status line's code after holding the
 * socket `holdMs`, then closes it with a close frame (1000, normal) as a polite client does.
 */
const upgrade = (port, p, id, holdMs) => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let status = 0;
    let head = '';
    s.on('connect', () => s.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Request-Id: ${id}\r\n\r\n`));
    s.on('data', (d) => {
        head += d.toString('latin1');
        status ||= Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    });
    const done = () => {
        s.destroy();
        resolve(status);
    };
    s.on('close', done);
    s.on('error', done);
    setTimeout(() => {
        if (status !== 101 || s.destroyed) {
            done();
            return;
        }
        s.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])); // FIN + close, masked (zero key), status 1000
        setTimeout(done, 300);
    }, holdMs);
});
/**
 * The agent's answer for `id` once its diagnosis is `cause` (lines arrive over a poll interval) and,
 * with `evidenceFrom`, its evidence shows a line of that source; or the last answer.
 */
async function lookup(agent, id, cause, ms = 8000, evidenceFrom) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
        const answer = await httpGet(agent.port, `/v1/requests/${encodeURIComponent(id)}`);
        if (answer.status === 200) {
            last = JSON.parse(answer.body);
            const evidence = evidenceFrom === undefined || last.diagnosis.causes[0]?.evidence.some((e) => e?.source === evidenceFrom);
            if (cause === undefined ? !last.diagnosis.failed : last.diagnosis.causes[0]?.id === cause && evidence)
                return last;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    return last;
}
/** The exported root span of request `id` once it carries `cause`. */
async function exported(id, cause, ms = 8000) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (receiver.spans.some((s) => s.attributes['claw.request_id'] === id && s.attributes['claw.diagnosis.cause'] === cause))
            return true;
        await new Promise((r) => setTimeout(r, 100));
    }
    return false;
}
const causeOf = (l) => l?.diagnosis.causes[0]?.id;
run('one builder, the real gateway: healthy, wrong port, WebSocket without Upgrade, WebSocket idle past the read timeout, proxy not trusted', async () => {
    assertStack();
    const [np] = (await freePorts(1));
    const nginx = await startNginx('builder', np, `http://127.0.0.1:${gatewayPort}`);
    const agent = await startAgent('builder', [
        { path: path.join(dir, 'builder', 'access.log'), region: 'us-east' },
        { path: path.join(dir, 'builder', 'error.log'), region: 'us-east', zone: 'local' },
        { path: gateway.log, region: 'us-east' },
    ]);
    try {
        assert.is(await request(np, '/healthz', 'e2e-healthy'), 200, 'the gateway answers through nginx');
        assert.is(await request(np, '/wrong-port/healthz', 'e2e-wrong-port'), 502);
        assert.not.equal(await upgrade(np, '/no-upgrade/', 'e2e-no-upgrade', 1000), 101, 'no upgrade without the headers');
        assert.is(await upgrade(np, '/', 'e2e-ws-ok', 500), 101, 'WebSocket through the README config');
        assert.is(await upgrade(np, '/ws-short/', 'e2e-ws-idle', 3500), 101, 'upgraded, then idle');
        // A client from outside (a CDN in front says so in X-Forwarded-For), through a proxy the gateway does not trust.
        assert.is(await request(np, '/xff/', 'e2e-untrusted', { 'x-forwarded-for': '203.0.113.7' }), 403, 'the real gateway refuses proxy-shaped traffic from an untrusted proxy');
        const healthy = await lookup(agent, 'e2e-healthy', undefined);
        assert.ok(healthy && !healthy.diagnosis.failed);
        assert.equal(healthy.spans.filter((s) => s.kind === 'SERVER').map((s) => [s.service, s.region, s.status]), [['nginx', 'us-east', 200]]);
        assert.is(causeOf(await lookup(agent, 'e2e-wrong-port', 'upstream-refused')), 'upstream-refused');
        assert.is(causeOf(await lookup(agent, 'e2e-no-upgrade', 'ws-upgrade-not-forwarded')), 'ws-upgrade-not-forwarded');
        assert.is(causeOf(await lookup(agent, 'e2e-ws-idle', 'ws-idle-timeout')), 'ws-idle-timeout');
        const ok = await lookup(agent, 'e2e-ws-ok', undefined);
        assert.ok(ok && !ok.diagnosis.failed, `a WebSocket the client closed is not a failure: ${JSON.stringify(ok?.diagnosis)}`);
        // The 403 the gateway answered decides; its warning (once per process) supports it once the agent has read it.
        const untrusted = await lookup(agent, 'e2e-untrusted', 'trusted-proxies-missing', 8000, 'openclaw');
        assert.is(causeOf(untrusted), 'trusted-proxies-missing');
        assert.ok(untrusted.diagnosis.causes[0].evidence.some((e) => e?.source === 'openclaw'), "the gateway's own warning line is the evidence");
        for (const [id, cause] of [
            ['e2e-wrong-port', 'upstream-refused'],
            ['e2e-no-upgrade', 'ws-upgrade-not-forwarded'],
            ['e2e-ws-idle', 'ws-idle-timeout'],
            ['e2e-untrusted', 'trusted-proxies-missing'],
        ]) {
            assert.ok(await exported(id, cause), `the exported span of ${id} carries ${cause}`);
        }
        const r = spawnSync(process.execPath, [CLI, '5xx', '--db', agent.db, '--since', '1h', '--json'], {
            encoding: 'utf8',
        });
        const groups = JSON.parse(r.stdout).groups;
        for (const cause of [
            'upstream-refused',
            'ws-upgrade-not-forwarded',
            'ws-idle-timeout',
            'trusted-proxies-missing',
        ]) {
            assert.ok(groups.some((g) => g.cause === cause), `claw-trace 5xx groups ${cause}: ${JSON.stringify(groups)}`);
        }
    }
    finally {
        await stopProcess(agent.p, 'SIGTERM');
        await stopProcess(nginx, 'SIGQUIT');
    }
});
run('two regions: an edge forwarding to a builder, each watched by its own agent, answer one cross-region lookup; a 502 in one region only', async () => {
    assertStack();
    const [east, west, dead, edge] = (await freePorts(4));
    const nEast = await startNginx('east', east, `http://127.0.0.1:${gatewayPort}`);
    const nWest = await startNginx('west', west, `http://127.0.0.1:${dead}`); // west's gateway is down
    const nEdge = await startNginx('edge', edge, `http://127.0.0.1:${east}`); // an edge region in front of us-east, same request ID
    const agent = await startAgent('fleet', [
        { path: path.join(dir, 'east', 'access.log'), region: 'us-east' },
        { path: path.join(dir, 'west', 'access.log'), region: 'eu-west' },
        { path: path.join(dir, 'west', 'error.log'), region: 'eu-west', zone: 'local' },
        { path: gateway.log, region: 'us-east' },
    ]);
    const edgeAgent = await startAgent('edge', [{ path: path.join(dir, 'edge', 'access.log'), region: 'eu-edge' }]);
    try {
        // Through the edge to the builder to the real gateway: one request ID, two agents, one trace.
        assert.is(await request(edge, '/healthz', 'e2e-via-edge'), 200);
        assert.ok((await lookup(edgeAgent, 'e2e-via-edge', undefined)) && (await lookup(agent, 'e2e-via-edge', undefined)), 'each agent has its hop');
        const cross = await new Promise((resolve) => {
            const c = spawn(process.execPath, [
                CLI,
                'e2e-via-edge',
                '--json',
                '--agent',
                `http://127.0.0.1:${edgeAgent.port}`,
                '--agent',
                `http://127.0.0.1:${agent.port}`,
            ]);
            let out = '';
            c.stdout.on('data', (d) => {
                out += d;
            });
            c.on('close', (status) => resolve({ status, stdout: out }));
        });
        assert.is(cross.status, 0);
        const hops = JSON.parse(cross.stdout).spans.filter((x) => x.kind === 'SERVER' && x.service === 'nginx');
        assert.equal(hops.map((h) => h.region).sort(), ['eu-edge', 'us-east'], "both regions' hops in one trace");
        for (let i = 0; i < 4; i++) {
            assert.is(await request(east, '/healthz', `e2e-east-${i}`), 200);
            assert.is(await request(west, '/healthz', `e2e-west-${i}`), 502);
        }
        assert.is(causeOf(await lookup(agent, 'e2e-west-3', 'upstream-refused')), 'upstream-refused');
        assert.ok(await exported('e2e-west-3', 'upstream-refused'), JSON.stringify(receiver.spans
            .filter((x) => String(x.attributes['claw.request_id']).startsWith('e2e-west'))
            .map((x) => [x.attributes['claw.request_id'], x.attributes['claw.diagnosis.cause']])));
        const r = spawnSync(process.execPath, [CLI, '5xx', '--db', agent.db, '--since', '1h', '--json'], {
            encoding: 'utf8',
        });
        const report = JSON.parse(r.stdout);
        assert.equal(report.groups.map((g) => [g.cause, g.region, g.count]), [['upstream-refused', 'eu-west', 4]], "the 502s are eu-west's only");
        assert.ok(report.patterns.some((p) => p.id === 'only-one-region'), JSON.stringify(report.patterns));
    }
    finally {
        await stopProcess(agent.p, 'SIGTERM');
        await stopProcess(edgeAgent.p, 'SIGTERM');
        await stopProcess(nEdge, 'SIGQUIT');
        await stopProcess(nEast, 'SIGQUIT');
        await stopProcess(nWest, 'SIGQUIT');
    }
});
run('the gateway stopped, then restarted during a deploy: refused, then a startup race, then served', async () => {
    assertStack();
    const [np] = (await freePorts(1));
    const nginx = await startNginx('deploy', np, `http://127.0.0.1:${gatewayPort}`);
    const agent = await startAgent('deploy', [
        { path: path.join(dir, 'deploy', 'access.log'), region: 'us-east' },
        { path: path.join(dir, 'deploy', 'error.log'), region: 'us-east', zone: 'local' },
        { path: gateway.log, region: 'us-east' },
    ]);
    try {
        await gateway.stop();
        gateway = undefined;
        assert.is(await request(np, '/healthz', 'e2e-stopped'), 502);
        assert.is(causeOf(await lookup(agent, 'e2e-stopped', 'upstream-refused')), 'upstream-refused', 'down with no restart in sight: refused');
        // The deploy: the gateway starts again while traffic flows; requests until it answers.
        gateway = await startGateway({ dir, port: gatewayPort, ready: false });
        let refused = '';
        let served = '';
        for (let i = 0; i < 600 && !served; i++) {
            const id = `e2e-race-${i}`;
            const status = await request(np, '/healthz', id);
            if (status === 502)
                refused = id;
            if (status === 200)
                served = id;
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(refused && served, 'refused while starting, then served');
        assert.is(causeOf(await lookup(agent, refused, 'gateway-startup-race')), 'gateway-startup-race', "refused next to the gateway's startup lines");
        assert.ok(await exported(refused, 'gateway-startup-race'));
    }
    finally {
        await stopProcess(agent.p, 'SIGTERM');
        await stopProcess(nginx, 'SIGQUIT');
    }
});
// Not gated on the gateway: the failures the real gateway cannot produce on demand.
t('stand-in failures made by real nginx and Caddy (fixtures/): the agent diagnoses every case, 5xx groups it, the exported span carries it', async () => {
    // The committed lab logs: real nginx 1.22 and Caddy 2.6 in front of the lab's stand-in
    // upstreams (a slow answer, a mid-response crash, a reset, a TLS name, [::1], ...; see fixtures/README.md).
    mkdirSync(path.join(dir, 'lab'), { recursive: true });
    const files = [
        ['nginx', 'claw_json.log'],
        ['nginx', 'error.log'],
        ['caddy', 'access.log'],
        ['caddy', 'error.log'],
    ];
    for (const [p, f] of files)
        copyFileSync(fixture(p, f), path.join(dir, 'lab', `${p}-${f}`));
    const agent = await startAgent('lab', files.map(([p, f]) => ({ path: path.join(dir, 'lab', `${p}-${f}`), region: `lab-${p}`, zone: 'UTC' })));
    try {
        const ids = (proxy, c) => {
            const recs = parseLines(fixture(proxy, proxy === 'nginx' ? 'claw_json.log' : 'access.log'), proxy === 'nginx' ? 'nginx-claw_json' : 'caddy').records;
            const hit = recs.filter((r) => c.client.kind === 'raw' ? (r.uri ?? '').startsWith(pathOf(c.path)) : pathOf(r.uri) === pathOf(c.path));
            return hit.at(-1)?.requestId;
        };
        let checked = 0;
        for (const c of LAB_CASES) {
            for (const proxy of ['nginx', 'caddy']) {
                const want = c.expect[proxy]?.cause;
                if (!want)
                    continue;
                const id = ids(proxy, c);
                assert.ok(id, `${proxy} ${c.name}: a request ID in the fixture`);
                assert.is(causeOf(await lookup(agent, id, want)), want, `${proxy} ${c.name}: the agent names ${want}`);
                assert.ok(await exported(id.slice(0, 256), want), `${proxy} ${c.name}: the exported span carries ${want}`);
                checked++;
            }
        }
        assert.ok(checked >= 20, `${checked} cases checked`);
        const r = spawnSync(process.execPath, [CLI, '5xx', '--db', agent.db, '--since', '100000d', '--json'], {
            encoding: 'utf8',
        });
        const groups = JSON.parse(r.stdout).groups;
        for (const c of LAB_CASES) {
            const e = c.expect.nginx;
            if (e?.cause)
                assert.ok(groups.some((g) => g.cause === e.cause && g.path === pathOf(c.path)), `5xx: nginx ${c.name} under ${e.cause}`);
        }
    }
    finally {
        await stopProcess(agent.p, 'SIGTERM');
    }
});
t.run();
//# sourceMappingURL=e2e.test.js.map