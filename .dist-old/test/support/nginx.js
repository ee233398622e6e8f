/**
 * Real nginx for the tests: a config builder (the README's request-ID propagation and claw_json
 * logging; the variants the tests need as options) and a start that waits for the port.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForPort } from '../../fixtures/lab/lab.js';
import { BUILTIN_LOG_FORMATS } from '../../parsers/index.js';
export function nginxConf(o) {
    const d = o.dir;
    mkdirSync(path.join(d, 'tmp'), { recursive: true });
    const log = o.logPrefix ?? '';
    const xff = (o.forwardedFor ?? o.front) ? 'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;' : '';
    const front = o.front ? 'add_header X-Request-Id $req_id always;' : '';
    const server = o.server ?? `location / { proxy_pass http://127.0.0.1:${o.upstream ?? 9}; }`;
    return `daemon off; worker_processes 1; pid ${d}/nginx.pid; error_log ${d}/${log}error.log info; user root;
events { worker_connections ${o.workerConnections ?? 64}; }
http { client_body_temp_path ${d}/tmp; proxy_temp_path ${d}/tmp; fastcgi_temp_path ${d}/tmp; uwsgi_temp_path ${d}/tmp; scgi_temp_path ${d}/tmp;
  map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }
  ${o.http ?? ''}
  ${BUILTIN_LOG_FORMATS.claw_json}
  access_log ${d}/${log}access.log claw_json;
  proxy_set_header X-Request-Id $req_id;
  ${xff}
  ${front}
  server { listen 127.0.0.1:${o.port}; ${server} } }\n`;
}
/** Starts nginx with `conf` written to `<dir>/nginx.conf`; resolves when it listens on `port`. Stop it with stopProcess. */
export async function startNginx(dir, conf, port, what = 'nginx') {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'nginx.conf');
    writeFileSync(file, conf);
    const p = spawn('nginx', ['-p', dir, '-c', file], { stdio: 'ignore' });
    await waitForPort(port, p, what);
    return p;
}
//# sourceMappingURL=nginx.js.map