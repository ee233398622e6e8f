/**
 * `claw-trace doctor` on real configs: the README's recommended nginx site, Caddyfile and gateway
 * config give no finding (read from files, through `nginx -T` and through `caddy adapt`), and each
 * check is triggered by one mistake made to them, every config first accepted by the real
 * `nginx -t` / `caddy adapt`. Findings are asserted exactly: id and file:line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { CHECKS } from '../src/doctor/checks.js';
import { parseText, readNginxDump, splitDump } from '../src/doctor/nginxConfig.js';
import { REPO } from './helpers.js';
import { CLI } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';
const t = suite('doctor');
const needs = testNeeding(['nginx', 'caddy'], 'doctor.test (real nginx -t and caddy adapt)', t);
let dir = '';
t.before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-doctor-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));
/** The fenced blocks of `lang` in the README section that starts with `heading`. */
function readmeBlocks(heading, lang) {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const start = readme.indexOf(`\n${heading}\n`);
    assert.ok(start >= 0, `README has ${heading}`);
    const level = heading.split(' ')[0];
    const rest = readme.slice(start + heading.length + 2);
    const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
    const section = end < 0 ? rest : rest.slice(0, end);
    return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);
}
const README = {
    nginxHttp: () => readmeBlocks('### nginx', 'nginx').join('\n'),
    nginxSite: () => readmeBlocks('## Check the setup before it fails: doctor and probe', 'nginx')[0],
    caddyfile: () => readmeBlocks('### Caddy', 'caddy')[0],
    openclaw: () => readmeBlocks('## Check the setup before it fails: doctor and probe', 'json5')[0],
};
/** The README's config laid out as on a Debian host: nginx.conf with http { }, the site in sites/claw.conf (an include). */
function writeNginx(name, s) {
    const d = path.join(dir, name);
    mkdirSync(path.join(d, 'sites'), { recursive: true });
    mkdirSync(path.join(d, 'logs'), { recursive: true });
    const logs = (text) => text.replaceAll('/var/log/nginx/', `${d}/logs/`);
    const conf = path.join(d, 'nginx.conf');
    writeFileSync(conf, `pid ${d}/nginx.pid;\nevents {}\nhttp {\n${logs(s.nginxHttp)}\ninclude sites/*.conf;\n}\n`);
    writeFileSync(path.join(d, 'sites', 'claw.conf'), logs(s.site));
    const openclaw = path.join(d, 'openclaw.json');
    writeFileSync(openclaw, s.openclaw);
    const check = spawnSync('nginx', ['-t', '-p', d, '-c', conf], { encoding: 'utf8' });
    assert.is(check.status, 0, `nginx -t accepts ${name}: ${check.stderr}`);
    return { conf, site: path.join(d, 'sites', 'claw.conf'), openclaw };
}
function writeCaddy(name, caddyfile, openclaw) {
    const d = path.join(dir, name);
    mkdirSync(d, { recursive: true });
    const file = path.join(d, 'Caddyfile');
    writeFileSync(file, caddyfile.replaceAll('/var/log/caddy/', `${d}/`));
    const o = path.join(d, 'openclaw.json');
    writeFileSync(o, openclaw);
    const check = spawnSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8' });
    assert.is(check.status, 0, `caddy adapt accepts ${name}: ${check.stderr}`);
    return { caddyfile: file, openclaw: o };
}
const triggered = new Set();
function doctor(args, o = {}) {
    const r = spawnSync(process.execPath, [CLI, 'doctor', '--json', ...args], {
        encoding: 'utf8',
        input: o.input,
        env: { ...process.env, ...o.env },
    });
    for (const f of r.stdout ? JSON.parse(r.stdout).findings : [])
        triggered.add(f.id);
    return {
        status: r.status,
        findings: r.stdout ? JSON.parse(r.stdout).findings : [],
        stderr: r.stderr,
    };
}
const where = (o) => o.findings.map((f) => `${f.id}@${path.basename(f.file)}:${f.line}`);
/** The 1-based line of the first line of `file` that contains `needle`. */
const lineOf = (file, needle) => {
    const i = readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes(needle));
    assert.ok(i >= 0, `${needle} in ${file}`);
    return i + 1;
};
const base = () => ({ nginxHttp: README.nginxHttp(), site: README.nginxSite(), openclaw: README.openclaw() });
needs.run("the README's nginx site, Caddyfile and gateway config give no finding: from files (includes followed), through nginx -T, through caddy adapt, and as adapted JSON", () => {
    assertTools(needs.missing);
    const n = writeNginx('readme', base());
    const fromFile = doctor(['--nginx', n.conf, '--openclaw', n.openclaw]);
    assert.equal(fromFile.findings, [], JSON.stringify(fromFile.findings, null, 1));
    assert.is(fromFile.status, 0);
    const dump = spawnSync('nginx', ['-T', '-p', path.dirname(n.conf), '-c', n.conf], { encoding: 'utf8' });
    assert.is(dump.status, 0, dump.stderr);
    const fromDump = doctor(['--nginx', '-', '--openclaw', n.openclaw], { input: dump.stdout });
    assert.equal([fromDump.status, fromDump.findings], [0, []]);
    const c = writeCaddy('readme-caddy', README.caddyfile(), README.openclaw());
    const fromCaddyfile = doctor(['--caddy', c.caddyfile, '--openclaw', c.openclaw]);
    assert.equal([fromCaddyfile.status, fromCaddyfile.findings], [0, []], fromCaddyfile.stderr);
    const json = path.join(dir, 'readme-caddy', 'caddy.json');
    writeFileSync(json, spawnSync('caddy', ['adapt', '--config', c.caddyfile, '--adapter', 'caddyfile'], { encoding: 'utf8' }).stdout);
    assert.equal(doctor(['--caddy', json, '--openclaw', c.openclaw]).findings, []);
    // Both proxies at once, and the text output says so.
    const both = spawnSync(process.execPath, [CLI, 'doctor', '--nginx', n.conf, '--caddy', c.caddyfile, '--openclaw', n.openclaw], { encoding: 'utf8' });
    assert.is(both.status, 0, both.stdout);
    assert.match(both.stdout, /no finding/);
});
/** One mistake each, made to the README's config; the findings expected, exactly (id@file:line). */
const NGINX_CASES = [
    {
        name: 'upstream localhost',
        change: (s) => ({
            ...s,
            site: s.site.replace('proxy_pass http://127.0.0.1:18789;', 'proxy_pass http://localhost:18789;'),
        }),
        expect: (f) => [`upstream-localhost@claw.conf:${lineOf(f.site, 'proxy_pass')}`],
    },
    {
        name: 'no Upgrade header',
        change: (s) => ({ ...s, site: s.site.replace(/^.*proxy_set_header Upgrade.*\n/m, '') }),
        expect: (f) => [`websocket-upgrade-not-forwarded@claw.conf:${lineOf(f.site, 'location /')}`],
    },
    {
        name: 'HTTP/1.0 upstream',
        change: (s) => ({ ...s, site: s.site.replace(/^.*proxy_http_version.*\n/m, '') }),
        expect: (f) => [`websocket-upgrade-not-forwarded@claw.conf:${lineOf(f.site, 'location /')}`],
    },
    {
        name: 'read timeout under the tick',
        change: (s) => ({ ...s, site: s.site.replace('proxy_read_timeout 300s;', 'proxy_read_timeout 20s;') }),
        expect: (f) => [`timeout-below-keepalive@claw.conf:${lineOf(f.site, 'proxy_read_timeout')}`],
    },
    {
        name: "send timeout left at nginx's 60 s",
        change: (s) => ({ ...s, site: s.site.replace(/^.*proxy_send_timeout.*\n/m, '') }),
        expect: (f) => [`timeout-below-long-answer@claw.conf:${lineOf(f.site, 'location /')}`],
    },
    {
        name: 'the gateway on another port',
        change: (s) => ({ ...s, openclaw: s.openclaw.replace('port: 18789', 'port: 18790') }),
        expect: (f) => [`upstream-port-mismatch@claw.conf:${lineOf(f.site, 'proxy_pass')}`],
    },
    {
        name: 'gateway bind lan',
        change: (s) => ({ ...s, openclaw: s.openclaw.replace('bind: "loopback"', 'bind: "lan"') }),
        expect: (f) => [`gateway-bind-beyond-loopback@openclaw.json:${lineOf(f.openclaw, 'bind')}`],
    },
    {
        name: 'trustedProxies without 127.0.0.1',
        change: (s) => ({ ...s, openclaw: s.openclaw.replace('["127.0.0.1", "::1"]', '["::1"]') }),
        expect: (f) => [`trusted-proxies-missing@openclaw.json:${lineOf(f.openclaw, 'trustedProxies')}`],
    },
    {
        name: 'no trustedProxies',
        change: (s) => ({ ...s, openclaw: s.openclaw.replace(/^.*trustedProxies.*\n/m, '') }),
        expect: () => ['trusted-proxies-missing@openclaw.json:1'],
    },
    {
        name: 'trustedProxies trusting 10.0.0.0/8',
        change: (s) => ({ ...s, openclaw: s.openclaw.replace('"::1"]', '"::1", "10.0.0.0/8"]') }),
        expect: (f) => [`trusted-proxies-too-wide@openclaw.json:${lineOf(f.openclaw, 'trustedProxies')}`],
    },
    {
        // The gateway takes the rightmost address it does not trust: the one nginx appends. No finding.
        name: 'X-Forwarded-For appended ($proxy_add_x_forwarded_for)',
        change: (s) => ({
            ...s,
            site: s.site.replace('X-Forwarded-For $remote_addr;', 'X-Forwarded-For $proxy_add_x_forwarded_for;'),
        }),
        expect: () => [],
    },
    {
        name: 'X-Forwarded-For passed on from the client only',
        change: (s) => ({
            ...s,
            site: s.site.replace('X-Forwarded-For $remote_addr;', 'X-Forwarded-For $http_x_forwarded_for;'),
        }),
        expect: (f) => [`xff-not-overwritten@claw.conf:${lineOf(f.site, 'X-Forwarded-For')}`],
    },
    {
        name: "the location's proxy_set_header hides the http level's X-Request-Id",
        change: (s) => ({ ...s, site: s.site.replace(/^.*proxy_set_header X-Request-Id.*\n/m, '') }),
        expect: (f) => [`request-id-not-propagated@claw.conf:${lineOf(f.site, 'location /')}`],
    },
    {
        name: 'access log in the combined format',
        change: (s) => ({ ...s, nginxHttp: s.nginxHttp.replace(/access_log (\S+) claw_json;/, 'access_log $1 combined;') }),
        expect: (f) => [
            `request-id-not-propagated@claw.conf:${lineOf(f.site, 'location /')}`,
            `access-log-incomplete@nginx.conf:${lineOf(f.conf, 'access_log')}`,
        ],
    },
    {
        name: 'error_log at warn',
        change: (s) => ({ ...s, nginxHttp: s.nginxHttp.replace(/error\.log info;/, 'error.log warn;') }),
        expect: (f) => [`error-log-above-info@nginx.conf:${lineOf(f.conf, 'error_log')}`],
    },
    {
        name: 'https to the gateway by address, no name',
        change: (s) => ({
            ...s,
            site: s.site.replace('proxy_pass http://127.0.0.1:18789;', 'proxy_pass https://127.0.0.1:18789;'),
        }),
        expect: (f) => [`upstream-tls-name@claw.conf:${lineOf(f.site, 'location /')}`],
    },
];
needs.run('each nginx/gateway mistake gives its finding and only it, from the files and through nginx -T', () => {
    assertTools(needs.missing);
    for (const [i, c] of NGINX_CASES.entries()) {
        const f = writeNginx(`case-${i}`, c.change(base()));
        const got = doctor(['--nginx', f.conf, '--openclaw', f.openclaw]);
        assert.equal(where(got), c.expect(f), `${c.name}: ${JSON.stringify(got.findings, null, 1)}`);
        assert.is(got.status, c.expect(f).length ? 1 : 0, c.name);
        for (const finding of got.findings)
            assert.ok(finding.why && finding.fix && finding.message && finding.severity, `${c.name}: a finding says why and how to fix it`);
        const dump = spawnSync('nginx', ['-T', '-p', path.dirname(f.conf), '-c', f.conf], { encoding: 'utf8' });
        assert.equal(where(doctor(['--nginx', '-', '--openclaw', f.openclaw], { input: dump.stdout })), c.expect(f), `${c.name} through nginx -T`);
    }
});
needs.run('SELinux: httpd_can_network_connect off is a finding where getsebool exists', () => {
    assertTools(needs.missing);
    const f = writeNginx('selinux', base());
    const bin = path.join(dir, 'selinux-bin');
    mkdirSync(bin, { recursive: true });
    // A stand-in with getsebool's own output: this host has no SELinux.
    writeFileSync(path.join(bin, 'getsebool'), '#!/bin/sh\necho "httpd_can_network_connect --> off"\n');
    chmodSync(path.join(bin, 'getsebool'), 0o755);
    const got = doctor(['--nginx', f.conf, '--openclaw', f.openclaw], { env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(got.findings.map((x) => x.id), ['selinux-network-connect-off']);
    assert.match(got.findings[0].fix, /setsebool -P httpd_can_network_connect 1/);
    writeFileSync(path.join(bin, 'getsebool'), '#!/bin/sh\necho "httpd_can_network_connect --> on"\n');
    assert.equal(doctor(['--nginx', f.conf, '--openclaw', f.openclaw], { env: { PATH: `${bin}:${process.env.PATH}` } }).findings, []);
});
const CADDY_CASES = [
    {
        name: 'upstream localhost',
        change: (c) => c.replace('reverse_proxy 127.0.0.1:18789', 'reverse_proxy localhost:18789'),
        expect: (f) => [`upstream-localhost@Caddyfile:${lineOf(f, 'reverse_proxy ')}`],
    },
    {
        name: 'transport timeouts under the tick and under long answers',
        change: (c) => c.replace(/(header_up X-Request-Id \{http\.request\.uuid\}\n)/, '$1\t\ttransport http {\n\t\t\tread_timeout 20s\n\t\t\tresponse_header_timeout 60s\n\t\t}\n'),
        expect: (f) => [
            `timeout-below-keepalive@Caddyfile:${lineOf(f, 'read_timeout')}`,
            `timeout-below-long-answer@Caddyfile:${lineOf(f, 'response_header_timeout')}`,
        ],
    },
    {
        name: 'no request ID upstream',
        change: (c) => c.replace(/^.*header_up X-Request-Id.*\n/m, ''),
        expect: (f) => [`request-id-not-propagated@Caddyfile:${lineOf(f, 'reverse_proxy ')}`],
    },
    {
        name: 'https to the gateway by address, no tls_server_name',
        change: (c) => c.replace('reverse_proxy 127.0.0.1:18789', 'reverse_proxy https://127.0.0.1:18789'),
        expect: (f) => [`upstream-tls-name@Caddyfile:${lineOf(f, 'reverse_proxy ')}`],
    },
    {
        // The client's address last: what the gateway takes. No finding.
        name: "X-Forwarded-For appended to the client's own",
        change: (c) => c.replace(/(header_up X-Request-Id \{http\.request\.uuid\}\n)/, '$1\t\theader_up X-Forwarded-For "{http.request.header.X-Forwarded-For}, {http.request.remote.host}"\n'),
        expect: () => [],
    },
    {
        name: "X-Forwarded-For the client's own only",
        change: (c) => c.replace(/(header_up X-Request-Id \{http\.request\.uuid\}\n)/, '$1\t\theader_up X-Forwarded-For {http.request.header.X-Forwarded-For}\n'),
        expect: (f) => [`xff-not-overwritten@Caddyfile:${lineOf(f, 'X-Forwarded-For')}`],
    },
];
needs.run('each Caddy mistake gives its finding and only it, through caddy adapt and from the adapted JSON', () => {
    assertTools(needs.missing);
    for (const [i, c] of CADDY_CASES.entries()) {
        const changed = c.change(README.caddyfile());
        assert.not.equal(changed, README.caddyfile(), `${c.name}: the change applies`);
        const f = writeCaddy(`caddy-${i}`, changed, README.openclaw());
        const got = doctor(['--caddy', f.caddyfile, '--openclaw', f.openclaw]);
        assert.equal(where(got), c.expect(f.caddyfile), `${c.name}: ${JSON.stringify(got.findings, null, 1)} ${got.stderr}`);
        const json = path.join(path.dirname(f.caddyfile), 'caddy.json');
        writeFileSync(json, spawnSync('caddy', ['adapt', '--config', f.caddyfile, '--adapter', 'caddyfile'], { encoding: 'utf8' }).stdout);
        assert.equal(doctor(['--caddy', json, '--openclaw', f.openclaw]).findings.map((x) => x.id), got.findings.map((x) => x.id), `${c.name} from JSON`);
    }
});
needs.run('configs that cannot be read: exit 2 with the file, line and reason', () => {
    assertTools(needs.missing);
    const f = writeNginx('unreadable', base());
    const missing = doctor(['--nginx', path.join(dir, 'nope.conf'), '--openclaw', f.openclaw]);
    assert.is(missing.status, 2);
    assert.match(missing.stderr, /nope\.conf: no such file/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{\n  gateway: {\n    port: 18789,,\n  },\n}\n');
    const json5 = doctor(['--nginx', f.conf, '--openclaw', bad]);
    assert.is(json5.status, 2);
    assert.match(json5.stderr, /bad\.json:3: not JSON5/);
    const broken = path.join(dir, 'broken.conf');
    writeFileSync(broken, 'events {}\nhttp {\n  server {\n    listen 80;\n');
    const syntax = doctor(['--nginx', broken, '--openclaw', f.openclaw]);
    assert.is(syntax.status, 2);
    assert.match(syntax.stderr, /broken\.conf: unexpected end of file/);
    const notCaddy = path.join(dir, 'not-a-caddyfile');
    writeFileSync(notCaddy, 'reverse_proxy {\n');
    const caddy = doctor(['--caddy', notCaddy, '--openclaw', f.openclaw]);
    assert.is(caddy.status, 2);
    assert.match(caddy.stderr, /not-a-caddyfile: caddy adapt failed/);
});
needs.run('every check of the table was triggered by a case above', () => {
    assertTools(needs.missing);
    assert.equal(CHECKS.map((c) => c.id).filter((id) => !triggered.has(id)), []);
});
t('--live: a port that listens but does not answer /healthz 200 is a finding; so is an upstream that refuses', async () => {
    // A stand-in for an unhealthy gateway on 127.0.0.1: it answers every request 503.
    const server = http.createServer((_req, res) => {
        res.writeHead(503);
        res.end('starting');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = server.address().port;
    const [refused] = (await freePorts(1));
    try {
        const conf = path.join(dir, 'live.conf');
        writeFileSync(conf, `events {}\nhttp {\n  server {\n    location / { proxy_pass http://127.0.0.1:${port}; }\n    location /old/ { proxy_pass http://127.0.0.1:${refused}/; }\n  }\n}\n`);
        const openclaw = path.join(dir, 'live.json');
        writeFileSync(openclaw, `{\n  gateway: {\n    port: ${port},\n    trustedProxies: ["127.0.0.1"],\n  },\n}\n`);
        const r = await new Promise((resolve) => {
            const c = spawn(process.execPath, [
                CLI,
                'doctor',
                '--nginx',
                conf,
                '--openclaw',
                openclaw,
                '--live',
                '--db',
                path.join(dir, 'none.db'),
                '--json',
            ]);
            let out = '';
            c.stdout.on('data', (d) => {
                out += d;
            });
            c.on('close', () => resolve(out));
        });
        const live = JSON.parse(r).findings.filter((f) => f.id.startsWith('live-'));
        assert.equal(live.map((f) => `${f.id}@${path.basename(f.file)}:${f.line}`), ['live-gateway-healthz@live.json:3', 'live-upstream-refused@live.conf:5']);
        assert.match(live[0].message, new RegExp(`127\\.0\\.0\\.1:${port}/healthz answered 503`));
    }
    finally {
        server.close();
    }
});
t('the nginx reader: quotes, ${var} inside words, comments, and nginx -T headers mapping lines back to files', () => {
    const d = parseText('log_format x \'{"a":"${msec}"}\'  # c\n  "b c";\nserver { listen 80; location /x { proxy_pass http://u; } }\n', 'f.conf');
    assert.equal(d[0], { name: 'log_format', args: ['x', '{"a":"${msec}"}', 'b c'], file: 'f.conf', line: 1 });
    assert.is(d[1].block[1].block[0].line, 3);
    const dump = '# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n  include conf.d/*.conf;\n}\n\n# configuration file /etc/nginx/conf.d/a.conf:\n\nserver {\n  listen 80;\n}\n\n';
    assert.equal([...splitDump(dump).keys()], ['/etc/nginx/nginx.conf', '/etc/nginx/conf.d/a.conf']);
    const http = readNginxDump(dump).directives[1];
    assert.equal([http.block[0].name, http.block[0].file, http.block[0].block[0].line], ['server', '/etc/nginx/conf.d/a.conf', 3]);
});
t.run();
//# sourceMappingURL=doctor.test.js.map