/**
 * `doctor --live`: what only the running host can say. What listens on the gateway's port
 * (/proc/net/tcp{,6} on Linux, lsof on macOS), whether the gateway answers /healthz straight on its
 * port, whether each local upstream of the proxies accepts a connection, and what the index saw
 * fail recently, by cause (so a finding can say how often it already broke).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { isLocal } from './checks.js';
/** An address of /proc/net/tcp or tcp6 (hex, each 32-bit word in host order, little-endian here). */
export function procAddress(hex) {
    const [addr, port] = hex.split(':');
    const words = addr.match(/.{8}/g) ?? [];
    const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
    let host;
    if (bytes.length === 4)
        host = bytes.join('.');
    else {
        const groups = [];
        for (let i = 0; i < 16; i += 2)
            groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
        // IPv4-mapped (::ffff:a.b.c.d) reads as the IPv4 address.
        host =
            groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff' ? bytes.slice(12).join('.') : compress(groups);
    }
    return { host, port: parseInt(port, 16) };
}
function compress(groups) {
    const s = groups.join(':');
    const runs = [...s.matchAll(/(^|:)0(:0)+(:|$)/g)].sort((a, b) => b[0].length - a[0].length);
    if (!runs[0])
        return s;
    const r = runs[0];
    return `${s.slice(0, r.index)}::${s.slice(r.index + r[0].length)}`.replace(/^:::/, '::').replace(/:::$/, '::');
}
/** The addresses listening on `port`: Linux from /proc, macOS from lsof; undefined when neither can say. */
export function listeners(port) {
    const files = ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => existsSync(f));
    if (files.length) {
        const out = [];
        for (const f of files) {
            for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
                const cols = line.trim().split(/\s+/);
                if (cols[3] !== '0A' || !cols[1])
                    continue; // 0A: LISTEN
                const a = procAddress(cols[1]);
                if (a.port === port)
                    out.push(a.host);
            }
        }
        return [...new Set(out)];
    }
    const r = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN'], { encoding: 'utf8', timeout: 5000 });
    if (r.error)
        return undefined;
    return [
        ...new Set(r.stdout
            .split('\n')
            .slice(1)
            .map((l) => /\s(\S+):\d+ \(LISTEN\)/.exec(l)?.[1])
            .filter((x) => !!x)
            .map((h) => (h === '*' ? '0.0.0.0' : h.replace(/^\[|\]$/g, '')))),
    ];
}
function connects(host, port, ms = 1500) {
    return new Promise((resolve) => {
        const s = net.connect({ host, port, timeout: ms });
        s.once('connect', () => {
            s.destroy();
            resolve(undefined);
        });
        s.once('timeout', () => {
            s.destroy();
            resolve(`no answer within ${ms} ms`);
        });
        s.once('error', (e) => resolve(e.code ?? e.message));
    });
}
function healthz(host, port) {
    return new Promise((resolve) => {
        const req = http.get({ host, port, path: '/healthz', agent: false, timeout: 3000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => {
            req.destroy();
            resolve('no answer within 3 s');
        });
        req.on('error', (e) => resolve(e.code ?? e.message));
    });
}
const place = (g) => ({
    file: g.file ?? '(no gateway config: its defaults)',
    line: g.portPlace?.line ?? 0,
});
export async function liveFindings(routes, gateway) {
    const out = [];
    const listening = listeners(gateway.port);
    const at = place(gateway);
    if (listening && listening.length === 0) {
        out.push({
            id: 'live-gateway-not-listening',
            severity: 'error',
            ...at,
            message: `nothing listens on port ${gateway.port}`,
            why: 'the gateway is stopped, starting, or on another port: the proxy answers 502, connection refused',
            fix: 'openclaw gateway status   # then start it, or set the proxy to the port it uses',
        });
    }
    const wide = (listening ?? []).filter((h) => !isLocal(h));
    if (wide.length) {
        out.push({
            id: 'live-gateway-listens-beyond-loopback',
            severity: 'warning',
            ...at,
            message: `port ${gateway.port} listens on ${wide.join(', ')}`,
            why: 'clients can reach the gateway around the proxy',
            fix: 'gateway: { bind: "loopback" }',
        });
    }
    if (!listening || listening.length) {
        const host = !listening || listening.some((h) => h === '127.0.0.1' || h === '0.0.0.0') ? '127.0.0.1' : '::1';
        const status = await healthz(host, gateway.port);
        if (status !== 200)
            out.push({
                id: 'live-gateway-healthz',
                severity: 'error',
                ...at,
                message: `GET http://${host.includes(':') ? `[${host}]` : host}:${gateway.port}/healthz answered ${status}`,
                why: 'the gateway is not healthy even without the proxy in between',
                fix: 'openclaw gateway status; openclaw doctor',
            });
    }
    const tried = new Set();
    for (const r of routes) {
        for (const u of r.upstreams.filter((x) => isLocal(x.host))) {
            const key = `${u.host}:${u.port}`;
            if (tried.has(key))
                continue;
            tried.add(key);
            const err = await connects(u.host, u.port);
            if (err)
                out.push({
                    id: 'live-upstream-refused',
                    severity: 'error',
                    ...u.place,
                    message: `${r.label}: ${u.host}:${u.port} does not accept a connection (${err})`,
                    why: 'every request this route proxies gets 502',
                    fix: r.proxy === 'nginx'
                        ? `proxy_pass http://127.0.0.1:${gateway.port};`
                        : `reverse_proxy 127.0.0.1:${gateway.port}`,
                });
        }
    }
    return { findings: out, listening };
}
/** Which checks a diagnosed cause in the index is the symptom of. */
export const CAUSE_OF_CHECK = {
    'upstream-localhost': ['localhost-resolves-to-ipv6'],
    'websocket-upgrade-not-forwarded': ['ws-upgrade-not-forwarded', 'ws-upgrade-failed'],
    'timeout-below-keepalive': ['ws-idle-timeout'],
    'timeout-below-long-answer': ['proxy-timeout'],
    'upstream-port-mismatch': ['upstream-refused'],
    'live-upstream-refused': ['upstream-refused', 'localhost-resolves-to-ipv6'],
    'live-gateway-not-listening': ['upstream-refused', 'gateway-startup-race'],
    'trusted-proxies-missing': ['trusted-proxies-missing', 'proxy-attribution-loopback'],
    'upstream-tls-name': ['upstream-tls'],
    'selinux-network-connect-off': ['upstream-permission-denied'],
};
//# sourceMappingURL=live.js.map