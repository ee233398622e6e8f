/**
 * `claw-trace probe` and `claw-trace doctor --live` on a real stack: real nginx and Caddy in front
 * of the real OpenClaw gateway (test/e2e/), a `claw-trace agent` indexing all their logs. Healthy,
 * and broken: WebSocket without the Upgrade headers, the wrong port, the gateway stopped; each
 * broken probe fails and names the cause from the joined lookups.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess, waitForPort } from '../fixtures/lab/lab.js';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { BUILTIN_LOG_FORMATS } from '../parsers/index.js';
import { listeners, procAddress } from '../src/doctor/live.js';
import { findGateway, startGateway } from './e2e/gateway.js';
import { CLI, startAgentProcess } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';
const t = suite('probe');
const found = findGateway();
const needs = testNeeding(['nginx', 'caddy'], 'probe.test (real nginx, Caddy and the OpenClaw gateway)', t);
const missingGateway = 'missing' in found ? found.missing : undefined;
if (missingGateway && !process.env.CI)
    process.stderr.write(`SKIP probe.test: ${missingGateway}\n`);
const run = missingGateway && !process.env.CI ? t.skip : needs.run;
const assertStack = () => {
    assertTools(needs.missing);
    assert.is(missingGateway, undefined, `${missingGateway} (.ci/run installs it)`);
};
let dir = '';
let gateway;
let nginx;
let caddy;
let agent;
let gp = 0;
let np = 0;
let cp = 0;
let dead = 0;
let nginxConf = '';
t.before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-probe-'));
    if (missingGateway || needs.missing.length)
        return;
    [gp, np, cp, dead] = (await freePorts(4));
    // The proxies on this host are trusted, as the README says.
    gateway = await startGateway({ dir, port: gp, trustedProxies: ['127.0.0.1', '::1'] });
    // What doctor reads: the same settings as the gateway's own config.
    writeFileSync(path.join(dir, 'openclaw.json'), `{ gateway: { port: ${gp}, bind: "loopback", trustedProxies: ["127.0.0.1", "::1"] } }\n`);
    mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    nginxConf = path.join(dir, 'nginx.conf');
    const ws = 'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; proxy_set_header X-Request-Id $req_id;';
    writeFileSync(nginxConf, `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log info; user root;
events { worker_connections 64; }
http { client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }
  map $http_upgrade $connection_upgrade { default upgrade; "" close; }
  ${BUILTIN_LOG_FORMATS.claw_json}
  access_log ${dir}/nginx-access.json claw_json;
  add_header X-Request-Id $req_id always;
  server {
    listen 127.0.0.1:${np};
    location / { ${ws} proxy_pass http://127.0.0.1:${gp}; }
    # the README's: the client's address in X-Forwarded-For (from this host: loopback)
    location /xff/ { ${ws} proxy_set_header X-Forwarded-For $remote_addr; proxy_pass http://127.0.0.1:${gp}/; }
    location /no-upgrade/ { proxy_set_header X-Request-Id $req_id; proxy_pass http://127.0.0.1:${gp}/; }
    location /wrong-port/ { ${ws} proxy_pass http://127.0.0.1:${dead}/; }
  }
}\n`);
    nginx = spawn('nginx', ['-p', dir, '-c', nginxConf], { stdio: 'ignore' });
    await waitForPort(np, nginx, 'nginx');
    const caddyfile = path.join(dir, 'Caddyfile');
    writeFileSync(caddyfile, `{
\tadmin off
\tauto_https off
\tlog errors {
\t\toutput file ${dir}/caddy-error.log
\t\tformat json
\t\tlevel DEBUG
\t\tinclude http.log.error http.handlers.reverse_proxy
\t}
}
http://:${cp} {
\tbind 127.0.0.1
\tlog {
\t\toutput file ${dir}/caddy-access.log
\t\tformat json
\t}
\theader X-Request-Id {http.request.uuid}
\treverse_proxy 127.0.0.1:${gp} {
\t\theader_up X-Request-Id {http.request.uuid}
\t}
}\n`);
    caddy = spawn('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
        stdio: 'ignore',
        env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    });
    await waitForPort(cp, caddy, 'caddy');
    const sources = [
        ['nginx-access.json', 'us-east'],
        ['nginx-error.log', 'us-east', 'local'],
        ['caddy-access.log', 'eu-west'],
        ['caddy-error.log', 'eu-west'],
    ];
    agent = await startAgentProcess(dir, 'probe-agent', `index: ${dir}/agent.db\nbackfill: true\nsources:\n${sources.map(([f, region, zone]) => `  - path: ${dir}/${f}\n    region: ${region}\n${zone ? `    zone: ${zone}\n` : ''}`).join('')}  - path: ${gateway.log}\n    region: us-east\nlog: { level: warn }\n`);
});
t.after(async () => {
    if (agent)
        await stopProcess(agent.p, 'SIGTERM');
    if (caddy)
        await stopProcess(caddy, 'SIGTERM');
    if (nginx)
        await stopProcess(nginx, 'SIGQUIT');
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
});
function probe(args) {
    return new Promise((resolve) => {
        const c = spawn(process.execPath, [
            CLI,
            'probe',
            ...args,
            '--json',
            '--wait',
            '15s',
            '--db',
            path.join(dir, 'none.db'),
        ]);
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => {
            out += d;
        });
        c.stderr.on('data', (d) => {
            err += d;
        });
        c.on('close', (status) => {
            const j = out ? JSON.parse(out) : { ok: false, rounds: [] };
            resolve({ status, ...j, stdout: out, stderr: err });
        });
    });
}
const summary = (p) => p.rounds[0].checks.map((c) => `${c.via} ${c.check} ${c.status} ${c.ok ? 'ok' : 'FAILED'}`);
const pub = (p, check) => p.rounds[0].checks.find((c) => c.via === 'public' && c.check === check);
run('healthy through nginx: every check passes through both paths, each public one logged by nginx; the headers differ by what nginx adds', async () => {
    assertStack();
    const p = await probe([
        `http://127.0.0.1:${np}`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--agent',
        `http://127.0.0.1:${agent.port}`,
    ]);
    assert.is(p.status, 0, `${p.stderr}\n${JSON.stringify(summary(p))}`);
    assert.equal(summary(p), [
        'public GET /healthz 200 ok',
        'public GET /readyz 200 ok',
        'public WebSocket 101 ok',
        'loopback GET /healthz 200 ok',
        'loopback GET /readyz 200 ok',
        'loopback WebSocket 101 ok',
    ]);
    assert.is(pub(p, 'WebSocket').firstFrame, 'connect.challenge', "the gateway's first frame");
    for (const c of p.rounds[0].checks.filter((x) => x.via === 'public')) {
        // The WebSocket may also be joined to the gateway's connection lines (tier 3).
        assert.equal(c.joined.hops.filter((h) => !h.startsWith('openclaw-gateway')), ['nginx (us-east)'], `${c.check}: logged by nginx`);
        assert.is(c.headers['x-request-id'], c.requestId, 'the ID came back');
    }
    assert.ok(p.rounds[0].diffs.some((d) => d.onlyPublic.includes('server')), JSON.stringify(p.rounds[0].diffs));
});
run("from the proxy's own host, the README's X-Forwarded-For makes the gateway refuse /readyz and the WebSocket (403): passed with a note; Caddy's own request ID is looked up", async () => {
    assertStack();
    const p = await probe([
        `http://127.0.0.1:${np}/xff`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--agent',
        `http://127.0.0.1:${agent.port}`,
    ]);
    assert.is(p.status, 0, JSON.stringify(summary(p)));
    assert.equal(summary(p).slice(0, 3), [
        'public GET /healthz 200 ok',
        'public GET /readyz 403 ok',
        'public WebSocket 403 ok',
    ]);
    assert.match(pub(p, 'GET /readyz').note ?? '', /refuses to attribute a loopback client/);
    // Caddy sends X-Forwarded-For itself, and makes its own ID ({http.request.uuid}).
    const c = await probe([
        `http://127.0.0.1:${cp}`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--agent',
        `http://127.0.0.1:${agent.port}`,
    ]);
    assert.is(c.status, 0, JSON.stringify(summary(c)));
    const health = pub(c, 'GET /healthz');
    assert.ok(health.proxyId && health.proxyId !== health.requestId, 'Caddy returned its own ID');
    assert.equal(health.joined.hops, ['caddy (eu-west)'], 'looked up by the ID Caddy logged');
});
run('broken: WebSocket without the Upgrade headers fails, and the probe names ws-upgrade-not-forwarded from the index (--db)', async () => {
    assertStack();
    const r = await new Promise((resolve) => {
        const c = spawn(process.execPath, [
            CLI,
            'probe',
            `http://127.0.0.1:${np}/no-upgrade`,
            '--loopback',
            `http://127.0.0.1:${gp}`,
            '--db',
            path.join(dir, 'agent.db'),
            '--wait',
            '15s',
        ]);
        let out = '';
        c.stdout.on('data', (d) => {
            out += d;
        });
        c.on('close', (status) => resolve({ status, ok: false, rounds: [], stdout: out, stderr: '' }));
    });
    assert.is(r.status, 1, r.stdout);
    assert.match(r.stdout, /✗ public\s+WebSocket\s+200/);
    assert.match(r.stdout, /cause {2}ws-upgrade-not-forwarded/);
    assert.match(r.stdout, /✓ public\s+GET \/healthz\s+200/);
    assert.match(r.stdout, /1 of 6 checks failed/);
});
run('--repeat as a health gate: every round runs while healthy; the first failed round stops it', async () => {
    assertStack();
    const healthy = await probe([
        `http://127.0.0.1:${np}`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--repeat',
        '2',
        '--interval',
        '200ms',
    ]);
    assert.is(healthy.status, 0);
    assert.equal(healthy.rounds.map((r) => r.ok), [true, true]);
    const broken = await probe([
        `http://127.0.0.1:${np}/wrong-port`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--repeat',
        '3',
        '--interval',
        '200ms',
        '--wait',
        '1s',
    ]);
    assert.is(broken.status, 1);
    assert.equal(broken.rounds.map((r) => r.ok), [false], 'stopped at the first failed round');
});
run('broken: the wrong port fails every public check with upstream-refused; doctor --live says the upstream refuses and counts the failures', async () => {
    assertStack();
    const p = await probe([
        `http://127.0.0.1:${np}/wrong-port`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--agent',
        `http://127.0.0.1:${agent.port}`,
    ]);
    assert.is(p.status, 1);
    assert.equal(summary(p).slice(0, 3), [
        'public GET /healthz 502 FAILED',
        'public GET /readyz 502 FAILED',
        'public WebSocket 502 FAILED',
    ]);
    for (const c of p.rounds[0].checks.filter((x) => x.via === 'public'))
        assert.is(c.joined.cause?.id, 'upstream-refused', c.check);
    const openclaw = path.join(dir, 'openclaw.json');
    const d = await new Promise((resolve) => {
        const c = spawn(process.execPath, [
            CLI,
            'doctor',
            '--nginx',
            nginxConf,
            '--openclaw',
            openclaw,
            '--live',
            '--db',
            path.join(dir, 'agent.db'),
            '--json',
        ]);
        let out = '';
        c.stdout.on('data', (x) => {
            out += x;
        });
        c.on('close', (status) => resolve({ status, stdout: out }));
    });
    const j = JSON.parse(d.stdout);
    assert.ok(j.listening.includes('127.0.0.1'), `the gateway's listeners: ${j.listening.join(', ')}`);
    assert.is(d.status, 1);
    const live = j.findings.filter((f) => f.id.startsWith('live-'));
    assert.equal(live.map((f) => f.id), ['live-upstream-refused'], JSON.stringify(live));
    assert.match(live[0].message, new RegExp(`127\\.0\\.0\\.1:${dead} does not accept a connection \\(ECONNREFUSED\\)`));
    assert.ok((j.recent.find((r) => r.cause === 'upstream-refused')?.count ?? 0) >= 3, JSON.stringify(j.recent));
    // Statically, a location beside the gateway's to an unrelated port could be another service's
    // (/grafana/ on 3000): no port mismatch is claimed; --live says it refuses.
    assert.not.ok(j.findings.some((f) => f.id === 'upstream-port-mismatch'), "no static claim about another port beside the gateway's");
});
t('the listeners of a port: /proc/net/tcp{,6} addresses decoded', () => {
    assert.equal(procAddress('0100007F:4755'), { host: '127.0.0.1', port: 18261 });
    assert.equal(procAddress('00000000000000000000000001000000:4755'), { host: '::1', port: 18261 });
    assert.equal(procAddress('00000000000000000000000000000000:0050'), { host: '::', port: 80 });
    assert.equal(procAddress('0000000000000000FFFF00000100007F:0050'), { host: '127.0.0.1', port: 80 });
    if (process.platform === 'linux')
        assert.equal(listeners(1), [], 'nothing listens on port 1');
});
run('the gateway stopped: the loopback checks are refused, the public ones 502 with upstream-refused, and doctor --live says nothing listens', async () => {
    assertStack();
    const listening = listeners(gp);
    assert.ok(listening.includes('127.0.0.1'), `the gateway listens on 127.0.0.1: ${listening.join(', ')}`);
    await gateway.stop();
    gateway = undefined;
    const p = await probe([
        `http://127.0.0.1:${np}`,
        '--loopback',
        `http://127.0.0.1:${gp}`,
        '--agent',
        `http://127.0.0.1:${agent.port}`,
    ]);
    assert.is(p.status, 1);
    assert.equal(summary(p), [
        'public GET /healthz 502 FAILED',
        'public GET /readyz 502 FAILED',
        'public WebSocket 502 FAILED',
        'loopback GET /healthz 0 FAILED',
        'loopback GET /readyz 0 FAILED',
        'loopback WebSocket 0 FAILED',
    ]);
    assert.is(pub(p, 'GET /healthz').joined.cause?.id, 'upstream-refused');
    assert.match(p.rounds[0].checks.find((c) => c.via === 'loopback').note ?? '', /ECONNREFUSED/);
    const openclaw = path.join(dir, 'openclaw.json');
    const d = await new Promise((resolve) => {
        const c = spawn(process.execPath, [
            CLI,
            'doctor',
            '--nginx',
            nginxConf,
            '--openclaw',
            openclaw,
            '--live',
            '--db',
            path.join(dir, 'none.db'),
        ]);
        let out = '';
        c.stdout.on('data', (x) => {
            out += x;
        });
        c.on('close', () => resolve({ stdout: out }));
    });
    assert.match(d.stdout, new RegExp(`live-gateway-not-listening[\\s\\S]*nothing listens on port ${gp}`));
});
t.run();
//# sourceMappingURL=probe.test.js.map