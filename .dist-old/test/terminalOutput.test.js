/**
 * Output made for a terminal: the lookup and `5xx` fit the width they are given (lines cut in the
 * middle of long values, never the proof: an evidence line shows what in it proves the cause),
 * `5xx` has one row per cause with its total then its breakdown, Caddy rows name their upstream,
 * and output that goes to a pipe is not cut.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import stringWidth from 'string-width';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cutMiddle, fitParts } from '../src/cli/terminalWidth.js';
import { fixture } from './helpers.js';
import { CLI } from './support/agent.js';
const t = suite('terminalOutput');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
let dir = '';
let db = '';
t.before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-term-'));
    db = path.join(dir, 'index.db');
    const caddy = readdirSync(fixture('caddy'))
        .filter((f) => f.endsWith('.log'))
        .map((f) => fixture('caddy', f));
    for (const [region, files] of [
        ['lab-nginx', [fixture('nginx', 'claw_json.log'), fixture('nginx', 'error.log')]],
        ['lab-caddy', caddy],
    ]) {
        const r = run('ingest', '--db', db, '--tz', 'UTC', '--region', region, ...files);
        assert.is(r.status, 0, r.stderr);
    }
});
t.after(() => rmSync(dir, { recursive: true, force: true }));
const over = (text, width) => text.split('\n').filter((l) => stringWidth(l) > width);
t('cutMiddle keeps both ends; fitParts lets the cuttable parts go first and keeps the heavy ones whole', () => {
    assert.is(cutMiddle('/var/log/nginx/some/very/long/path/access.log', 24), '/var/log/ngi…/access.log');
    assert.is(stringWidth(cutMiddle('x'.repeat(100), 30)), 30);
    const parts = [
        { text: 'connect() failed (111: Connection refused) while connecting to upstream' },
        { text: 'upstream: "http://[::1]:40709/x"', weight: 2 },
        { text: 'GET /a/long/request/path', cuttable: true },
    ];
    const fitted = fitParts(parts, 70);
    assert.ok(stringWidth(fitted) <= 70, fitted);
    assert.ok(fitted.includes('upstream: "http://[::1]:40709/x"'), fitted);
    assert.not.ok(fitted.includes('GET /a'), 'the request line gave way first');
});
t('a lookup in 80 columns: no line over 80, the evidence shows the upstream that proves localhost -> [::1], whole', () => {
    const r = run('deadf89f540eed17e128fb2dcc3422c6', '--db', db, '--width', '80');
    assert.is(r.status, 0, r.stderr);
    assert.equal(over(r.stdout, 80), []);
    assert.ok(r.stdout.includes('upstream: "http://[::1]:40709/localhost-v6"'), r.stdout);
    assert.ok(r.stdout.includes('request deadf89f540eed17e128fb2dcc3422c6'), 'IDs are never cut');
    // A claw_json access line as evidence: its status and the upgrade it asked for, not its first characters.
    const ws = run('0baedd59dee22e7d64017c0e28e28ff7', '--db', db, '--width', '80');
    assert.is(ws.status, 0, ws.stderr);
    assert.equal(over(ws.stdout, 80), []);
    assert.match(ws.stdout, /claw_json\.log:\d+\n\s+status 426 .*upgrade: websocket/);
});
t('a lookup into a pipe is not cut (no --width): every line whole', () => {
    const r = run('deadf89f540eed17e128fb2dcc3422c6', '--db', db);
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(r.stdout.includes('…'), r.stdout);
    assert.match(r.stdout, /error\.log:30 {2}\[error\] connect\(\) failed \(111: Connection refused\) while connecting to upstream {2}upstream: "http:\/\/\[::1\]:40709\/localhost-v6"/);
});
t('5xx: one row per cause with its total, then its breakdown; Caddy rows name their upstream; 80 columns hold it', () => {
    const j = JSON.parse(run('5xx', '--db', db, '--since', '100000d', '--json').stdout);
    assert.is(j.causes.reduce((n, x) => n + x.count, 0), j.diagnosed, 'the totals add up to the failures');
    for (const x of j.causes)
        assert.is(j.groups.filter((g) => g.cause === x.cause).reduce((n, g) => n + g.count, 0), x.count, x.cause);
    const caddy = j.groups.filter((g) => g.region === 'lab-caddy' && g.cause === 'upstream-refused');
    assert.ok(caddy.length > 0 && caddy.every((g) => /^127\.0\.0\.1:\d+$/.test(g.upstream)), JSON.stringify(caddy));
    const text = run('5xx', '--db', db, '--since', '100000d', '--width', '80');
    assert.is(text.status, 0, text.stderr);
    assert.equal(over(text.stdout, 80), []);
    const lines = text.stdout.split('\n');
    const refused = lines.findIndex((l) => /^\s+\d+ {2}upstream-refused {2}\S+$/.test(l));
    assert.ok(refused > 0, text.stdout);
    assert.match(lines[refused], new RegExp(`^\\s+${j.causes.find((x) => x.cause === 'upstream-refused').count} `), 'the cause row has its total');
    assert.match(lines[refused + 1], /^\s+\d+ {4}lab-(caddy|nginx)\s+\/\S+\s+127\.0\.0\.1:\d+/, 'then its breakdown, indented');
    assert.is(lines.filter((l) => / {2}upstream-refused {2}/.test(l)).length, 1, 'one row for the cause');
});
t('--help shows durations as durations', () => {
    const h = run('5xx', '--help').stdout + run('lookup', '--help').stdout;
    assert.not.match(h, /default: \d{4,}\)/);
});
t.run();
//# sourceMappingURL=terminalOutput.test.js.map