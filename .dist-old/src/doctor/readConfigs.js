/**
 * Where doctor finds the proxies' configs: given files, `nginx -T` on stdin, or by default what the
 * installed nginx and Caddy run with (Debian and Homebrew places). Caddy's config always goes
 * through the real adapter (`caddy adapt`), never a Caddyfile parser of ours.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigReadError, readNginxDump, readNginxFile } from './nginxConfig.js';
import { caddyRoutes, nginxRoutes } from './routes.js';
export const NGINX_DEFAULT_FILES = [
    '/etc/nginx/nginx.conf',
    '/opt/homebrew/etc/nginx/nginx.conf',
    '/usr/local/etc/nginx/nginx.conf',
];
export const CADDY_DEFAULT_FILES = ['/etc/caddy/Caddyfile', '/opt/homebrew/etc/Caddyfile', '/usr/local/etc/Caddyfile'];
function onPath(cmd) {
    return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, cmd)));
}
/** `--nginx FILE`, `--nginx -` (nginx -T's output on stdin), or undefined: run `nginx -T` when installed. */
export function readNginx(opt, stdin, out) {
    if (opt === '-') {
        const { directives } = readNginxDump(stdin(), 'standard input');
        out.routes.push(...nginxRoutes(directives));
        out.read.push('nginx -T (standard input)');
        return;
    }
    if (opt !== undefined) {
        out.routes.push(...nginxRoutes(readNginxFile(opt).directives));
        out.read.push(opt);
        return;
    }
    if (!onPath('nginx')) {
        const file = NGINX_DEFAULT_FILES.find((f) => existsSync(f));
        if (file) {
            out.routes.push(...nginxRoutes(readNginxFile(file).directives));
            out.read.push(file);
        }
        return;
    }
    const r = spawnSync('nginx', ['-T'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 10_000 });
    if (r.status === 0 && r.stdout) {
        out.routes.push(...nginxRoutes(readNginxDump(r.stdout).directives));
        out.read.push('nginx -T');
        return;
    }
    // nginx -T needs to read every file (often root's): fall back to the main file when readable.
    const file = NGINX_DEFAULT_FILES.find((f) => existsSync(f));
    const reason = (r.stderr || r.error?.message || '').trim().split('\n').at(-1) ?? '';
    if (!file)
        throw new ConfigReadError(`nginx -T failed (${reason}); give the config with --nginx FILE, or pipe \`sudo nginx -T\` into --nginx -`);
    out.notes.push(`nginx -T failed (${reason}): read ${file} instead`);
    out.routes.push(...nginxRoutes(readNginxFile(file).directives));
    out.read.push(file);
}
/** `--caddy FILE` (a Caddyfile, through `caddy adapt`, or adapted JSON), or undefined: the installed Caddy's Caddyfile. */
export function readCaddy(opt, out) {
    const file = opt ?? (onPath('caddy') ? CADDY_DEFAULT_FILES.find((f) => existsSync(f)) : undefined);
    if (!file)
        return;
    let text;
    try {
        text = readFileSync(file, 'utf8');
    }
    catch (e) {
        throw new ConfigReadError(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
    let json;
    if (text.trimStart().startsWith('{')) {
        try {
            json = JSON.parse(text);
        }
        catch {
            /* a Caddyfile whose first block is the global options */
        }
    }
    if (!json) {
        if (!onPath('caddy'))
            throw new ConfigReadError(`${file}: reading a Caddyfile needs caddy (caddy adapt); or give the adapted JSON: caddy adapt --config ${file} > caddy.json`);
        const r = spawnSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
            timeout: 20_000,
        });
        if (r.status !== 0)
            throw new ConfigReadError(`${file}: caddy adapt failed: ${(r.stderr || r.error?.message || '')
                .trim()
                .split('\n')
                .filter((l) => !/^\{"level":"(info|warn)"/.test(l))
                .join(' ') || `exit ${r.status}`}`);
        json = JSON.parse(r.stdout);
    }
    out.routes.push(...caddyRoutes(json, { file, text }));
    out.read.push(file);
}
/** `getsebool httpd_can_network_connect`: undefined where SELinux is not there. */
export function selinuxNetworkConnect() {
    if (!onPath('getsebool'))
        return undefined;
    const r = spawnSync('getsebool', ['httpd_can_network_connect'], { encoding: 'utf8', timeout: 5000 });
    const m = /-->\s*(on|off)/.exec(r.stdout ?? '');
    return m ? m[1] === 'on' : undefined;
}
//# sourceMappingURL=readConfigs.js.map