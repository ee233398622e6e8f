/**
 * `claw-trace doctor` on configs written the way people write them for an OpenClaw gateway behind
 * a proxy (not the README's): upstream blocks with keepalive, `set $upstream`, a Connection map of
 * another name, headers set at server level and inherited, includes inside locations, nested and
 * regex locations, several server blocks of which one proxies the gateway, IPv6 loopback, https
 * upstreams, Caddy snippets, handle_path, route and transports; gateway configs with comments.
 * Each config is accepted by the real `nginx -t` / `caddy adapt` first; doctor reads it from the
 * files and (nginx) through `nginx -T`, and its findings are asserted exactly. The correct ones
 * must give no finding: each of them once gave a false alarm.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';
const t = suite('doctor real-world');
const needs = testNeeding(['nginx', 'caddy'], 'doctorRealWorld.test (real nginx -t and caddy adapt)', t);
let dir = '';
t.before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-doctor-rw-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));
/** What every correct nginx config here shares in http { }: the README's request ID, log format and error_log. */
const HTTP_COMMON = `map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }
log_format claw_json escape=json '{"msec":"$msec","req_id":"$req_id","connection":"$connection","request":"$request",'
    '"status":"$status","request_time":"$request_time","upstream":"$upstream_addr","upstream_status":"$upstream_status",'
    '"upstream_connect_time":"$upstream_connect_time","upstream_header_time":"$upstream_header_time","http_upgrade":"$http_upgrade"}';
access_log logs/access.json claw_json;
`;
const GATEWAY = '{ gateway: { port: 18789, bind: "loopback", trustedProxies: ["127.0.0.1", "::1"] } }\n';
function doctor(args, input) {
    const r = spawnSync(process.execPath, [CLI, 'doctor', '--json', ...args], { encoding: 'utf8', input });
    return {
        status: r.status,
        findings: r.stdout ? JSON.parse(r.stdout).findings : [],
        stderr: r.stderr,
    };
}
const where = (o) => o.findings.map((f) => `${f.id}@${path.basename(f.file)}:${f.line}`);
const lineOf = (file, needle, nth = 1) => {
    const lines = readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
    assert.ok(lines.length >= nth, `${needle} in ${file}`);
    return lines[nth - 1];
};
/** An nginx config dir: nginx.conf with `http` (the common part first), extra files, the gateway's config. */
function nginxSetup(name, http, files = {}, gateway = GATEWAY) {
    const d = path.join(dir, name);
    mkdirSync(path.join(d, 'logs'), { recursive: true });
    for (const [f, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
        writeFileSync(path.join(d, f), text);
    }
    const conf = path.join(d, 'nginx.conf');
    writeFileSync(conf, `error_log logs/error.log info;\npid ${d}/nginx.pid;\nevents {}\nhttp {\n${HTTP_COMMON}${http}\n}\n`);
    const openclaw = path.join(d, 'openclaw.json');
    writeFileSync(openclaw, gateway);
    const check = spawnSync('nginx', ['-t', '-p', d, '-c', conf], { encoding: 'utf8' });
    assert.is(check.status, 0, `nginx -t accepts ${name}: ${check.stderr}`);
    return { d, conf, openclaw };
}
/** doctor from the files and through `nginx -T`: the same findings both ways. */
function nginxDoctor(s) {
    const fromFile = doctor(['--nginx', s.conf, '--openclaw', s.openclaw]);
    const dump = spawnSync('nginx', ['-T', '-p', s.d, '-c', s.conf], { encoding: 'utf8' });
    assert.is(dump.status, 0, dump.stderr);
    const fromDump = doctor(['--nginx', '-', '--openclaw', s.openclaw], dump.stdout);
    assert.equal(where(fromDump), where(fromFile), 'nginx -T gives what the files give');
    return fromFile;
}
const WS = `proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;`;
needs.run('correct nginx configs as people write them give no finding', () => {
    assertTools(needs.missing);
    const cases = {
        // An upstream block with keepalive (Connection "" when not upgrading), every proxy header set at
        // server level and inherited, X-Forwarded-For appended (the gateway takes the rightmost address
        // it does not trust: the one nginx appends), times in hours.
        'upstream block, keepalive, headers inherited from server, $proxy_add_x_forwarded_for': nginxSetup('keepalive', `
upstream openclaw { server 127.0.0.1:18789 max_fails=3 fail_timeout=10s; keepalive 32; }
map $http_upgrade $connection_upgrade { default upgrade; "" ""; }
server {
  listen 8080;
  server_name claw.example.com;
  ${WS}
  proxy_set_header Host $host;
  proxy_set_header X-Real-IP $remote_addr;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Request-Id $req_id;
  add_header X-Request-Id $req_id always;
  proxy_read_timeout 1h;
  proxy_send_timeout 1h;
  location / { proxy_pass http://openclaw; }
}`),
        // Three servers: a redirect, Grafana on 127.0.0.1:3000 (not the gateway: no finding about it),
        // the gateway through `set $upstream` and a Connection map named as jwilder/nginx-proxy names it.
        'several servers, one for the gateway through set $upstream, $proxy_connection': nginxSetup('servers', `
map $http_upgrade $proxy_connection { default upgrade; "" close; }
server { listen 8080 default_server; server_name _; return 301 https://$host$request_uri; }
server {
  listen 8081;
  server_name grafana.example.com;
  location / { proxy_pass http://127.0.0.1:3000; proxy_set_header Host $host; }
}
server {
  listen 8082;
  server_name claw.example.com;
  location / {
    set $upstream 127.0.0.1:18789;
    proxy_pass http://$upstream;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $proxy_connection;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
    add_header X-Request-Id $req_id always;
    proxy_read_timeout 300; proxy_send_timeout 300;
  }
}`),
        // The proxy headers in a snippet included inside each location; the WebSocket at / and ~ ^/ws;
        // the OpenAI-compatible /v1/ as plain HTTP beside them (no Upgrade needed there);
        // Connection passed on from the client ($http_connection: "Upgrade" on a WebSocket request).
        'include snippets in locations, regex /ws, plain-HTTP /v1/, $http_connection': nginxSetup('snippets', `
server {
  listen 8080;
  location / { include snippets/proxy.conf; include snippets/ws.conf; proxy_pass http://127.0.0.1:18789; }
  location ~ ^/ws { include snippets/proxy.conf; include snippets/ws.conf; proxy_pass http://127.0.0.1:18789; }
  location /v1/ { include snippets/proxy.conf; proxy_pass http://127.0.0.1:18789; }
}`, {
            'snippets/proxy.conf': `proxy_set_header Host $host;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Request-Id $req_id;
add_header X-Request-Id $req_id always;
proxy_read_timeout 600s;
proxy_send_timeout 600s;
`,
            'snippets/ws.conf': 'proxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection $http_connection;\n',
        }),
        // IPv6 loopback upstream; the gateway trusts 127.0.0.0/8 (loopback only: not "too wide");
        // the server logs errors twice, at info to a file and at warn to stderr: info is in effect.
        'IPv6 [::1] upstream, nested location, trustedProxies 127.0.0.0/8, two error_log': nginxSetup('ipv6', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  error_log logs/claw-error.log info;
  error_log stderr warn;
  ${WS}
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Request-Id $req_id;
  add_header X-Request-Id $req_id always;
  proxy_read_timeout 5m;
  proxy_send_timeout 5m;
  location / {
    proxy_pass http://[::1]:18789;
    location /assets/ { proxy_pass http://[::1]:18789; expires 1h; }
  }
}`, {}, '// the gateway\n{\n  gateway: {\n    port: 18789,\n    trustedProxies: ["127.0.0.0/8", "::1",],\n  },\n}\n'),
        // https to the gateway with its name sent and checked.
        'https upstream with proxy_ssl_server_name and proxy_ssl_name': nginxSetup('https', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  location / {
    proxy_pass https://127.0.0.1:18789;
    proxy_ssl_server_name on;
    proxy_ssl_name gateway.internal;
    ${WS}
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
    add_header X-Request-Id $req_id always;
    proxy_read_timeout 300s;
    proxy_send_timeout 300s;
  }
}`),
        // A proxy to a unix socket only: nothing here reaches the gateway's port; nothing to say, no crash.
        'unix socket upstream': nginxSetup('unix', `
server { listen 8080; location / { proxy_pass http://unix:/run/app.sock:/; } }`),
    };
    for (const [name, s] of Object.entries(cases)) {
        const got = nginxDoctor(s);
        assert.equal(where(got), [], `${name}: ${JSON.stringify(got.findings, null, 1)}`);
        assert.is(got.status, 0, name);
    }
});
needs.run("nginx mistakes among real-world layouts: only the gateway's route is named, at the line to change", () => {
    assertTools(needs.missing);
    // set $upstream with the wrong port: the finding is at the set, where the port is written.
    const set = nginxSetup('set-port', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  location / {
    set $gw 127.0.0.1:18790;
    proxy_pass http://$gw;
    ${WS}
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
    add_header X-Request-Id $req_id always;
    proxy_read_timeout 300s; proxy_send_timeout 300s;
  }
}`);
    let got = nginxDoctor(set);
    assert.equal(where(got), [`upstream-port-mismatch@nginx.conf:${lineOf(set.conf, 'set $gw')}`]);
    assert.is(got.status, 1);
    // Grafana and the gateway's upstream block with a typo'd port: the block named openclaw is the one meant.
    const typo = nginxSetup('typo-port', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
upstream grafana { server 127.0.0.1:3000; }
upstream openclaw { server 127.0.0.1:18798; }
server { listen 8080; location / { proxy_pass http://grafana; } }
server {
  listen 8081;
  location / {
    proxy_pass http://openclaw;
    ${WS}
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
    add_header X-Request-Id $req_id always;
    proxy_read_timeout 300s; proxy_send_timeout 300s;
  }
}`);
    got = nginxDoctor(typo);
    assert.equal(where(got), [`upstream-port-mismatch@nginx.conf:${lineOf(typo.conf, 'server 127.0.0.1:18798')}`]);
    assert.match(got.findings[0].message, /18798/);
    // One server for the gateway and Grafana under /grafana/, and a typo'd port on /v1/: only the typo is named.
    const beside = nginxSetup('typo-beside', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  ${WS}
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Request-Id $req_id;
  add_header X-Request-Id $req_id always;
  proxy_read_timeout 300s; proxy_send_timeout 300s;
  location / { proxy_pass http://127.0.0.1:18789; }
  location /v1/ { proxy_pass http://127.0.0.1:18798; }
  location /grafana/ { proxy_pass http://127.0.0.1:3000/; }
}`);
    got = nginxDoctor(beside);
    assert.equal(where(got), [`upstream-port-mismatch@nginx.conf:${lineOf(beside.conf, '18798')}`]);
    // The upgrade only on ~ ^/ws: the Control UI opens its WebSocket at /, which location / serves without it.
    const ws = nginxSetup('ws-only-regex', `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  server_name claw.example.com;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Request-Id $req_id;
  add_header X-Request-Id $req_id always;
  proxy_read_timeout 300s; proxy_send_timeout 300s;
  location / { proxy_pass http://127.0.0.1:18789; }
  location ~ ^/ws {
    proxy_pass http://127.0.0.1:18789;
    ${WS}
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
  }
}`);
    got = nginxDoctor(ws);
    assert.equal(where(got), [`websocket-upgrade-not-forwarded@nginx.conf:${lineOf(ws.conf, 'location / {')}`]);
    assert.match(got.findings[0].message, /location \/ \(server claw\.example\.com\)/, 'the server is named: several have a location /');
});
needs.run("gateway configs with comments: the finding is at the gateway's own key, not a comment's or another section's", () => {
    assertTools(needs.missing);
    const http = `
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen 8080;
  location / {
    proxy_pass http://127.0.0.1:18789;
    ${WS}
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-Id $req_id;
    add_header X-Request-Id $req_id always;
    proxy_read_timeout 300s; proxy_send_timeout 300s;
  }
}`;
    const s = nginxSetup('gateway-comments', http, {}, `// OpenClaw, by hand
// the old setup had bind: "loopback" and trustedProxies: ["127.0.0.1"]
{
  browser: { port: 9222, bind: "x" },
  'gateway': {
    /* port: 1 */ "port": 18789,
    bind: 'lan', // was "loopback"
    trustedProxies: [
      "127.0.0.1",
      "::1",
    ],
  },
}
`);
    const got = doctor(['--nginx', s.conf, '--openclaw', s.openclaw]);
    assert.equal(where(got), [`gateway-bind-beyond-loopback@openclaw.json:${lineOf(s.openclaw, "bind: 'lan'")}`]);
});
needs.run('unreadable input exits 2 with file:line and reason: JSON5 error, missing include, binary file; nginx -T with CRLF is read', () => {
    assertTools(needs.missing);
    const d = path.join(dir, 'bad');
    mkdirSync(d, { recursive: true });
    const good = nginxSetup('bad-good', 'server { listen 8080; location / { proxy_pass http://127.0.0.1:18789; } }');
    const json5 = path.join(d, 'openclaw.json');
    writeFileSync(json5, '{\n  gateway: {\n    port: 18789,\n    bind: "loopback"\n    trustedProxies: ["127.0.0.1"],\n  },\n}\n');
    let got = doctor(['--nginx', good.conf, '--openclaw', json5]);
    assert.equal([got.status, got.findings], [2, []]);
    assert.match(got.stderr, `${json5}:5: not JSON5`);
    assert.not.match(got.stderr, /\n\s+at /, 'no stack trace');
    const missing = path.join(d, 'missing.conf');
    writeFileSync(missing, 'events {}\nhttp {\n  server {\n    location / {\n      include snippets/gone.conf;\n      proxy_pass http://127.0.0.1:18789;\n    }\n  }\n}\n');
    got = doctor(['--nginx', missing, '--openclaw', good.openclaw]);
    assert.is(got.status, 2);
    assert.match(got.stderr, `${missing}:5: include snippets/gone.conf: ${path.join(d, 'snippets/gone.conf')}: no such file`);
    const binary = path.join(d, 'binary.conf');
    writeFileSync(binary, readFileSync(process.execPath).subarray(0, 4096));
    got = doctor(['--nginx', binary, '--openclaw', good.openclaw]);
    assert.is(got.status, 2);
    assert.match(got.stderr, `${binary}: not a text file`);
    const dump = spawnSync('nginx', ['-T', '-p', good.d, '-c', good.conf], { encoding: 'utf8' });
    got = doctor(['--nginx', '-', '--openclaw', good.openclaw], dump.stdout.replaceAll('\n', '\r\n'));
    const plain = doctor(['--nginx', '-', '--openclaw', good.openclaw], dump.stdout);
    assert.ok(plain.findings.length > 0);
    assert.equal(where(got), where(plain), 'CRLF nginx -T output reads as the plain one');
});
/** A Caddyfile checked by the real adapter, with the gateway's config beside it. */
function caddySetup(name, caddyfile, gateway = GATEWAY) {
    const d = path.join(dir, name);
    mkdirSync(d, { recursive: true });
    const file = path.join(d, 'Caddyfile');
    writeFileSync(file, caddyfile.replaceAll('LOGDIR/', `${d}/`));
    const openclaw = path.join(d, 'openclaw.json');
    writeFileSync(openclaw, gateway);
    const check = spawnSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8' });
    assert.is(check.status, 0, `caddy adapt accepts ${name}: ${check.stderr}`);
    return { file, openclaw };
}
needs.run('correct Caddyfiles as people write them give no finding: snippets, handle_path, route, transport, another site', () => {
    assertTools(needs.missing);
    const snippets = caddySetup('caddy-snippets', `(common) {
	header X-Request-Id {http.request.uuid}
	log {
		output file LOGDIR/access.log
		format json
	}
}
claw.example.com {
	import common
	handle_path /api/* {
		reverse_proxy 127.0.0.1:18789 {
			header_up X-Request-Id {http.request.uuid}
		}
	}
	handle {
		reverse_proxy 127.0.0.1:18789 {
			header_up X-Request-Id {http.request.uuid}
			header_up X-Forwarded-For {remote_host}
			transport http {
				read_timeout 10m
				write_timeout 10m
			}
		}
	}
}
grafana.example.com {
	reverse_proxy 127.0.0.1:3000
}
`);
    let got = doctor(['--caddy', snippets.file, '--openclaw', snippets.openclaw]);
    assert.equal([got.status, where(got)], [0, []], got.stderr);
    const route = caddySetup('caddy-route', `claw.example.com {
	log {
		output file LOGDIR/access.log
		format json
	}
	route {
		header x-request-id {http.request.uuid}
		reverse_proxy [::1]:18789 {
			header_up X-Request-Id {http.request.uuid}
			header_up X-Forwarded-For "{http.request.header.X-Forwarded-For}, {remote_host}"
		}
	}
}
`);
    got = doctor(['--caddy', route.file, '--openclaw', route.openclaw]);
    assert.equal([got.status, where(got)], [0, []], got.stderr);
});
needs.run('Caddy: two handle blocks to the same upstream: each finding at its own reverse_proxy line', () => {
    assertTools(needs.missing);
    const s = caddySetup('caddy-two-handles', `claw.example.com {
	log {
		format json
	}
	header X-Request-Id {http.request.uuid}
	handle /ws* {
		reverse_proxy 127.0.0.1:18789 {
			header_up X-Request-Id {http.request.uuid}
		}
	}
	handle {
		reverse_proxy 127.0.0.1:18789 {
			transport http {
				read_timeout 20s
			}
		}
	}
}
`);
    const got = doctor(['--caddy', s.file, '--openclaw', s.openclaw]);
    assert.equal(where(got), [
        `timeout-below-keepalive@Caddyfile:${lineOf(s.file, 'read_timeout 20s')}`,
        `request-id-not-propagated@Caddyfile:${lineOf(s.file, 'reverse_proxy 127.0.0.1:18789', 2)}`,
    ]);
    assert.match(got.findings[1].message, /not sent to the gateway$/);
});
t.run();
//# sourceMappingURL=doctorRealWorld.test.js.map