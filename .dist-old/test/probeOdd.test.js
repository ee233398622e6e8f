/**
 * `claw-trace probe` against what is not a healthy gateway, on 127.0.0.1 servers of this test:
 * one that accepts and never answers, one that sends headers and then a byte a second forever,
 * a catch-all page that answers 200 HTML to everything, and TLS with a self-signed certificate.
 * Every check must end within its time limit with a note that says why, and exit 1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeCert } from '../fixtures/corpus/stack.js';
import { CLI } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';
const t = suite('probe odd servers');
const needs = testNeeding(['openssl'], 'probeOdd.test (a self-signed certificate)', t);
let dir = '';
const servers = [];
const sockets = new Set();
const listen = async (s) => {
    servers.push(s);
    s.on(s instanceof https.Server ? 'secureConnection' : 'connection', (c) => {
        sockets.add(c);
        c.on('close', () => sockets.delete(c));
    });
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    return s.address().port;
};
t.before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-probe-odd-'));
});
t.after(async () => {
    for (const c of sockets)
        c.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
});
async function probe(args, env = {}) {
    const started = Date.now();
    const c = spawn(process.execPath, [CLI, 'probe', ...args, '--json', '--wait', '1s', '--db', path.join(dir, 'none.db')], { env: { ...process.env, ...env } });
    let out = '';
    let stderr = '';
    c.stdout.on('data', (d) => {
        out += d;
    });
    c.stderr.on('data', (d) => {
        stderr += d;
    });
    const code = await new Promise((r) => c.on('close', r));
    const json = out ? JSON.parse(out) : { rounds: [] };
    return { code, checks: json.rounds.flatMap((r) => r.checks), stderr, ms: Date.now() - started };
}
const find = (cs, via, check) => cs.find((c) => c.via === via && c.check === check);
needs.run('a server that never answers times out cleanly; a catch-all 200 page is not taken for the gateway', async () => {
    const silent = await listen(net.createServer((s) => {
        s.on('error', () => { });
    }));
    const page = await listen(http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>Welcome to nginx!</html>');
    }));
    const r = await probe([`http://127.0.0.1:${silent}`, '--loopback', `http://127.0.0.1:${page}`]);
    assert.is(r.code, 1, r.stderr);
    assert.is(r.checks.length, 6);
    for (const c of r.checks.filter((x) => x.via === 'public')) {
        assert.is(c.ok, false);
        assert.ok(c.ms < 8000, `${c.check} ended in ${c.ms} ms`);
    }
    assert.match(find(r.checks, 'public', 'GET /healthz').note ?? '', /no answer within 5000 ms/);
    const healthz = find(r.checks, 'loopback', 'GET /healthz');
    assert.equal([healthz.status, healthz.ok], [200, false]);
    assert.match(healthz.note ?? '', /not as the gateway does \(JSON\) \(text\/html, 30 bytes\)/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});
needs.run('headers then a byte a second forever ends at the time limit; a self-signed certificate says how to trust it, and with NODE_EXTRA_CA_CERTS passes', async () => {
    assertTools(needs.missing);
    const trickle = await listen(http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 500);
        res.on('close', () => clearInterval(timer));
    }));
    const { key, cert } = makeCert(dir, '127.0.0.1');
    const tls = await listen(https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true,"status":"live"}');
    }));
    let r = await probe([`http://127.0.0.1:${trickle}`, '--loopback', `https://127.0.0.1:${tls}`]);
    assert.is(r.code, 1);
    const slow = find(r.checks, 'public', 'GET /healthz');
    assert.is(slow.ok, false);
    assert.match(slow.note ?? '', /no whole answer within 6000 ms/);
    assert.ok(slow.ms < 8000, `ended in ${slow.ms} ms`);
    assert.match(find(r.checks, 'public', 'WebSocket').note ?? '', /no upgrade: answered 200, and the answer did not end/);
    const untrusted = find(r.checks, 'loopback', 'GET /healthz');
    assert.equal(untrusted.ok, false);
    assert.match(untrusted.note ?? '', /DEPTH_ZERO_SELF_SIGNED_CERT.*NODE_EXTRA_CA_CERTS/);
    r = await probe([`https://127.0.0.1:${tls}`, '--loopback', `https://127.0.0.1:${tls}`], {
        NODE_EXTRA_CA_CERTS: cert,
    });
    assert.equal([find(r.checks, 'public', 'GET /healthz').ok, find(r.checks, 'loopback', 'GET /readyz').ok], [true, true], JSON.stringify(r.checks));
});
t.run();
//# sourceMappingURL=probeOdd.test.js.map