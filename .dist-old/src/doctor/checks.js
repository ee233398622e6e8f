/**
 * The seam between a proxy's config and the gateway's, as a table: each check has an id, a
 * severity, why it breaks what (the symptom a user would see), and the fix as a config snippet;
 * `find` says where it applies. A correct config must give no finding: a check that cannot be sure
 * stays silent (false alarms teach people to ignore a linter).
 *
 * The gateway's facts used here are from openclaw 2026.9.6 (docs/gateway/config-gateway.md and
 * its dist/): port 18789 by default, `bind` loopback by default (`lan` = 0.0.0.0), a WebSocket
 * ping every 25 s and a `tick` event every 30 s (TICK_INTERVAL_MS), 403 `proxy_attribution_required`
 * for proxy-shaped traffic from an address not in `trustedProxies`.
 */
import net from 'node:net';
import { GATEWAY_DEFAULT_PORT } from './gatewayConfig.js';
/** Long AI answers stream for minutes: the articles' floor for a proxy's timeouts. */
export const LONG_ANSWER_S = 300;
/** The gateway's WebSocket keepalive: a ping every 25 s, a tick every 30 s. */
export const GATEWAY_TICK_S = 30;
const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];
export const isLocal = (host) => LOOPBACK.includes(host) || /^127\./.test(host);
const GATEWAY_NAME = /openclaw|claw|gateway/i;
/**
 * The routes that reach the gateway: those to its port (on this host or another). A proxy also
 * fronts other services (Grafana on 127.0.0.1:3000): their routes are not the gateway's and get no
 * finding. When no route reaches the gateway's port, the ones meant for it are the port mismatch:
 * those to the gateway's default port or named for it (`upstream openclaw`), else the local routes
 * when they all go to one port (a proxy for the gateway alone).
 */
export function gatewayRoutes(routes, gateway) {
    // Every check asks: computed once per config (a config of thousands of servers stays fast).
    const cached = gatewayRoutesCache.get(routes);
    if (cached?.gateway === gateway)
        return cached.result;
    const result = findGatewayRoutes(routes, gateway);
    gatewayRoutesCache.set(routes, { gateway, result });
    return result;
}
const gatewayRoutesCache = new WeakMap();
function findGatewayRoutes(routes, gateway) {
    const at = routes.filter((r) => r.upstreams.some((u) => u.port === gateway.port));
    if (at.length) {
        // Beside the gateway's routes, in the same server: one named for the gateway or a port off by a
        // few (18798, 18780) is a typo; any other port is another service's (/grafana/ on 3000).
        const servers = new Set(at.map((r) => r.server));
        const atSet = new Set(at);
        const typo = routes.filter((r) => !atSet.has(r) &&
            servers.has(r.server) &&
            r.upstreams.some((u) => isLocal(u.host) && (GATEWAY_NAME.test(r.target) || Math.abs(u.port - gateway.port) <= 10)));
        return { routes: [...at, ...typo], mismatch: typo.length > 0 };
    }
    const localRoutes = routes.filter((r) => r.upstreams.some((u) => isLocal(u.host)));
    const named = localRoutes.filter((r) => GATEWAY_NAME.test(r.target) || r.upstreams.some((u) => u.port === GATEWAY_DEFAULT_PORT));
    if (named.length)
        return { routes: named, mismatch: true };
    const ports = new Set(localRoutes.flatMap((r) => r.upstreams.filter((u) => isLocal(u.host)).map((u) => u.port)));
    return { routes: ports.size === 1 ? localRoutes : [], mismatch: ports.size === 1 };
}
/** Whether an nginx location can match `/`, where the Control UI and nodes open their WebSocket. */
function matchesRoot(path) {
    if (!path?.length)
        return true;
    const [mod, arg] = path.length > 1 ? [path[0], path[1]] : ['', path[0]];
    if (mod === '~' || mod === '~*') {
        try {
            return new RegExp(arg, mod === '~*' ? 'i' : '').test('/');
        }
        catch {
            return true;
        }
    }
    return arg === '/';
}
/** The addresses a co-located proxy connects from, for an upstream host. */
function sourcesFor(u) {
    if (u.host === 'localhost')
        return ['127.0.0.1', '::1'];
    return net.isIPv6(u.host) ? ['::1'] : ['127.0.0.1'];
}
/** Whether an entry of trustedProxies (an address or a CIDR) covers `addr`. */
export function trusts(entries, addr) {
    const list = new net.BlockList();
    for (const e of entries) {
        const [ip, bits] = e.split('/');
        const type = net.isIPv6(ip) ? 'ipv6' : net.isIPv4(ip) ? 'ipv4' : undefined;
        if (!type)
            continue;
        if (bits === undefined)
            list.addAddress(ip, type);
        else
            list.addSubnet(ip, Number(bits), type);
    }
    return list.check(addr, net.isIPv6(addr) ? 'ipv6' : 'ipv4');
}
const gatewayPlace = (g, p) => p ?? { file: g.file ?? '(no gateway config: its defaults)', line: g.file ? 1 : 0 };
const requestIdMissing = (r) => {
    const missing = [];
    if (!r.requestIdUp)
        missing.push('not sent to the gateway');
    else if (r.proxy === 'nginx' && r.requestIdUp === '$http_x_request_id')
        missing.push("only the client's (none is made when it sends none)");
    if (!r.requestIdBack)
        missing.push('not returned to the client');
    if (r.accessLogs === 'off')
        missing.push('not logged (access_log off)');
    else if (r.proxy === 'nginx') {
        const v = r.requestIdUp?.match(/\$\{?(\w+)/)?.[1];
        const logged = r.accessLogs.some((l) => (v && new RegExp(`\\$\\{?${v}\\b`).test(l.text)) || /\$\{?(request_id|req_id)\b/.test(l.text));
        if (!logged)
            missing.push(`not logged (access log format${r.accessLogs.length === 1 ? '' : 's'} ${r.accessLogs.map((l) => l.format).join(', ')})`);
    }
    return missing;
};
/** What the joins and diagnoses read from an nginx access line (README: "Why these"). */
const JOIN_VARIABLES = [
    'connection',
    'upstream_addr',
    'upstream_status',
    'request_time',
    'upstream_connect_time',
    'upstream_header_time',
    'http_upgrade',
];
const NGINX_WS = `proxy_http_version 1.1;
proxy_set_header Upgrade    $http_upgrade;
proxy_set_header Connection $connection_upgrade;   # map $http_upgrade $connection_upgrade { default upgrade; "" close; }`;
export const CHECKS = [
    {
        id: 'upstream-localhost',
        severity: 'error',
        why: '"localhost" resolves to ::1 first on macOS (and wherever /etc/hosts lists ::1 first) while the gateway listens on 127.0.0.1: the proxy answers 502, connection refused, on some hosts only',
        fix: { nginx: 'proxy_pass http://127.0.0.1:18789;', caddy: 'reverse_proxy 127.0.0.1:18789' },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway).routes.flatMap((r) => r.upstreams
            .filter((u) => u.host === 'localhost')
            .map((u) => ({
            proxy: r.proxy,
            place: u.place,
            message: `${r.label}: the upstream is "localhost", not 127.0.0.1`,
            fix: r.proxy === 'nginx' ? `proxy_pass http://127.0.0.1:${u.port};` : `reverse_proxy 127.0.0.1:${u.port}`,
        }))),
    },
    {
        id: 'websocket-upgrade-not-forwarded',
        severity: 'error',
        why: 'nginx speaks HTTP/1.0 upstream and drops hop-by-hop headers: without HTTP/1.1 and the Upgrade/Connection headers the gateway never sees the upgrade, so WebSocket clients (the Control UI, nodes) get no 101 and keep reconnecting',
        fix: { nginx: NGINX_WS },
        find: ({ routes, gateway }) => {
            const all = gatewayRoutes(routes, gateway).routes.filter((r) => r.websocket);
            const upgrades = (x) => x.websocket.http11 && x.websocket.upgrade && x.websocket.connection;
            const upgrading = new Set(all.filter(upgrades).map((r) => r.server));
            return all.flatMap((r) => {
                const w = r.websocket;
                // A location that cannot match / (`/v1/`, `= /healthz`) next to one that forwards upgrades is plain HTTP.
                if (!matchesRoot(r.path) && upgrading.has(r.server))
                    return [];
                const missing = [
                    !w.http11 && 'proxy_http_version 1.1',
                    !w.upgrade && 'Upgrade $http_upgrade',
                    !w.connection && 'Connection upgrade',
                ].filter(Boolean);
                return missing.length
                    ? [
                        {
                            proxy: r.proxy,
                            place: r.place,
                            message: `${r.label}: reaches the gateway without ${missing.join(', ')}`,
                        },
                    ]
                    : [];
            });
        },
    },
    {
        id: 'timeout-below-keepalive',
        severity: 'error',
        why: `the gateway pings a WebSocket every 25 s and sends a tick every ${GATEWAY_TICK_S} s: a proxy timeout under ${GATEWAY_TICK_S} s cuts idle sessions (nginx "upstream timed out (110) while proxying upgraded connection", client close 1006)`,
        fix: {
            nginx: 'proxy_read_timeout 300s;\nproxy_send_timeout 300s;',
            caddy: 'transport http {\n\tread_timeout 300s\n\twrite_timeout 300s\n}',
        },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway).routes.flatMap((r) => r.timeouts
            .filter((t) => t.seconds < GATEWAY_TICK_S)
            .map((t) => ({
            proxy: r.proxy,
            place: t.place,
            message: `${r.label}: ${t.name} is ${t.seconds} s, under the gateway's ${GATEWAY_TICK_S} s tick`,
        }))),
    },
    {
        id: 'timeout-below-long-answer',
        severity: 'warning',
        why: `a long AI answer can stream for minutes with pauses longer than a minute: a proxy timeout under ${LONG_ANSWER_S} s ends it with a 504 (or a cut stream)`,
        fix: {
            nginx: 'proxy_read_timeout 300s;\nproxy_send_timeout 300s;',
            caddy: 'transport http {\n\tread_timeout 300s\n\twrite_timeout 300s\n\tresponse_header_timeout 300s\n}',
        },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway).routes.flatMap((r) => r.timeouts
            .filter((t) => t.seconds >= GATEWAY_TICK_S && t.seconds < LONG_ANSWER_S)
            .map((t) => ({
            proxy: r.proxy,
            place: t.place,
            message: `${r.label}: ${t.name} is ${t.seconds} s, under ${LONG_ANSWER_S} s`,
        }))),
    },
    {
        id: 'upstream-port-mismatch',
        severity: 'error',
        why: 'nothing of the gateway listens on that port: every request gets 502, connection refused (or another local service answers)',
        fix: { nginx: 'proxy_pass http://127.0.0.1:<gateway.port>;', caddy: 'reverse_proxy 127.0.0.1:<gateway.port>' },
        find: ({ routes, gateway }) => {
            const g = gatewayRoutes(routes, gateway);
            return g.mismatch
                ? g.routes.flatMap((r) => r.upstreams
                    .filter((u) => isLocal(u.host) && u.port !== gateway.port)
                    .map((u) => ({
                    proxy: r.proxy,
                    place: u.place,
                    message: `${r.label}: the upstream port is ${u.port}, the gateway's is ${gateway.port} (${gateway.file ? `gateway.port in ${gateway.file}` : 'its default'})`,
                    fix: r.proxy === 'nginx'
                        ? `proxy_pass http://127.0.0.1:${gateway.port};`
                        : `reverse_proxy 127.0.0.1:${gateway.port}`,
                })))
                : [];
        },
    },
    {
        id: 'gateway-bind-beyond-loopback',
        severity: 'warning',
        why: 'behind a proxy on the same host the gateway needs only loopback: listening on the network too lets clients go around the proxy (its TLS, its limits, its request IDs and logs)',
        fix: { openclaw: 'gateway: { bind: "loopback" }' },
        find: ({ routes, gateway }) => {
            const exposed = gateway.bind === 'lan' ||
                gateway.bind === 'tailnet' ||
                (gateway.bind === 'custom' && gateway.customBindHost !== '127.0.0.1');
            if (!exposed || !gatewayRoutes(routes, gateway).routes.some((r) => r.upstreams.some((u) => isLocal(u.host))))
                return [];
            return [
                {
                    place: gatewayPlace(gateway, gateway.bindPlace),
                    message: `gateway.bind is "${gateway.bind}"${gateway.customBindHost ? ` (${gateway.customBindHost})` : ''} while a proxy on this host forwards to it`,
                },
            ];
        },
    },
    {
        id: 'trusted-proxies-missing',
        severity: 'error',
        why: 'the gateway does not trust the proxy\'s forwarded headers: it logs "proxy-shaped traffic ... Configure gateway.trustedProxies" and answers 403 proxy_attribution_required on /readyz, the Control UI and WebSocket upgrades',
        fix: { openclaw: 'gateway: { trustedProxies: ["127.0.0.1", "::1"] }' },
        find: ({ routes, gateway }) => {
            const need = [
                ...new Set(routes.flatMap((r) => r.upstreams.filter((u) => isLocal(u.host) && u.port === gateway.port).flatMap(sourcesFor))),
            ];
            const missing = need.filter((a) => !trusts(gateway.trustedProxies ?? [], a));
            if (!missing.length)
                return [];
            return [
                {
                    place: gatewayPlace(gateway, gateway.trustedProxiesPlace),
                    message: `gateway.trustedProxies ${gateway.trustedProxies ? `(${gateway.trustedProxies.join(', ') || 'empty'})` : 'is not set and'} lacks ${missing.join(' and ')}, where the proxy on this host connects from`,
                    fix: `gateway: { trustedProxies: [${[...new Set([...(gateway.trustedProxies ?? []), ...missing])].map((a) => JSON.stringify(a)).join(', ')}] }`,
                },
            ];
        },
    },
    {
        id: 'trusted-proxies-too-wide',
        severity: 'warning',
        why: 'every host in a trusted range can set X-Forwarded-For and be taken for any client, a local one included (local clients are auto-approved for pairing)',
        fix: { openclaw: 'gateway: { trustedProxies: ["127.0.0.1", "::1"] }   # only the proxies\' own addresses' },
        find: ({ gateway }) => (gateway.trustedProxies ?? [])
            .filter((e) => {
            const [ip, bits] = e.split('/');
            if (bits === undefined)
                return false;
            // 127.0.0.0/8 is this host's loopback: as narrow as trusting 127.0.0.1.
            if (net.isIPv4(ip) && Number(bits) >= 8 && trusts(['127.0.0.0/8'], ip))
                return false;
            return net.isIPv6(ip) ? Number(bits) < 64 : Number(bits) < 24;
        })
            .map((e) => ({
            place: gatewayPlace(gateway, gateway.trustedProxiesPlace),
            message: `gateway.trustedProxies trusts ${e}`,
        })),
    },
    {
        id: 'xff-not-overwritten',
        severity: 'warning',
        why: "the gateway attributes a request to the address in X-Forwarded-For: passed on from the client, anyone can claim to be 127.0.0.1; not sent, every client looks like the proxy's loopback address (a local client)",
        fix: {
            nginx: 'proxy_set_header X-Forwarded-For $remote_addr;   # behind a CDN: set_real_ip_from + real_ip_header first',
            caddy: '# remove trusted_proxies that trust everyone; Caddy then sets X-Forwarded-For itself',
        },
        // Appended ($proxy_add_x_forwarded_for) is fine: the gateway reads the chain from the right and
        // takes the first address it does not trust, the one the proxy appended (openclaw's resolveClientIp).
        find: ({ routes, gateway }) => routes
            .filter((r) => r.upstreams.some((u) => isLocal(u.host) && u.port === gateway.port) &&
            (r.xff === 'none' || r.xff === 'client'))
            .map((r) => ({
            proxy: r.proxy,
            place: r.xffPlace ?? r.place,
            message: r.xff === 'none'
                ? `${r.label}: no X-Forwarded-For is sent to the gateway`
                : `${r.label}: X-Forwarded-For is the client's own, passed on without the client's address after it`,
        })),
    },
    {
        id: 'request-id-not-propagated',
        severity: 'warning',
        why: "claw-trace joins the proxy's lines to the gateway's and to other regions' by one request ID: without it made, sent upstream, returned and logged, a failure cannot be looked up by the ID a user reports",
        fix: {
            nginx: 'map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }\nproxy_set_header X-Request-Id $req_id;\nadd_header       X-Request-Id $req_id always;\naccess_log /var/log/nginx/access.json claw_json;   # README: the claw_json log_format',
            caddy: 'header X-Request-Id {http.request.uuid}\nreverse_proxy 127.0.0.1:18789 {\n\theader_up X-Request-Id {http.request.uuid}\n}\nlog {\n\toutput file /var/log/caddy/access.log\n\tformat json\n}',
        },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway).routes.flatMap((r) => {
            const missing = requestIdMissing(r);
            return missing.length
                ? [{ proxy: r.proxy, place: r.place, message: `${r.label}: the X-Request-Id is ${missing.join('; ')}` }]
                : [];
        }),
    },
    {
        id: 'access-log-incomplete',
        severity: 'warning',
        why: "the joins read the connection number (what the error log's *N refers to), each upstream attempt and its phases, and $http_upgrade: without them an error line cannot be tied to its request and a failed WebSocket looks like a plain GET",
        fix: { nginx: "access_log /var/log/nginx/access.json claw_json;   # the README's claw_json log_format" },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway)
            .routes.filter((r) => r.proxy === 'nginx' && r.accessLogs !== 'off')
            .flatMap((r) => {
            const logs = r.accessLogs;
            const best = logs
                .map((l) => ({ l, missing: JOIN_VARIABLES.filter((v) => !new RegExp(`\\$\\{?${v}\\b`).test(l.text)) }))
                .sort((a, b) => a.missing.length - b.missing.length)[0];
            return best?.missing.length
                ? [
                    {
                        proxy: r.proxy,
                        place: best.l.place,
                        message: `access log format "${best.l.format}" lacks ${best.missing.map((v) => `$${v}`).join(', ')}`,
                    },
                ]
                : [];
        }),
    },
    {
        id: 'error-log-above-info',
        severity: 'warning',
        why: 'nginx logs a WebSocket cut by a timeout and a client that gave up at level info: above it, those failures leave no error line and cannot be told apart',
        fix: { nginx: 'error_log /var/log/nginx/error.log info;' },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway)
            .routes.filter((r) => r.proxy === 'nginx' && !['debug', 'info'].includes(r.errorLog?.level ?? 'error'))
            .map((r) => ({
            proxy: r.proxy,
            place: r.errorLog?.place ?? { file: r.place.file, line: 0 },
            message: r.errorLog?.place
                ? `error_log level is ${r.errorLog.level}`
                : "no error_log: nginx's default level is error",
        })),
    },
    {
        id: 'upstream-tls-name',
        severity: 'error',
        why: 'to an https upstream named by address the proxy sends no server name (SNI), and with verification on it checks the certificate against the address: an upstream that needs SNI or a named certificate fails the handshake and every request gets 502',
        fix: {
            nginx: "proxy_ssl_server_name on;\nproxy_ssl_name gateway.example.com;   # the name in the gateway's certificate",
            caddy: 'transport http {\n\ttls_server_name gateway.example.com\n}',
        },
        find: ({ routes, gateway }) => gatewayRoutes(routes, gateway)
            .routes.filter((r) => r.tls)
            .flatMap((r) => {
            const byAddress = r.upstreams.filter((u) => u.scheme === 'https' && (net.isIP(u.host) !== 0 || (r.proxy === 'nginx' && !u.host.includes('.'))));
            if (!byAddress.length)
                return [];
            const t = r.tls;
            const gaps = [
                !t.serverName && (r.proxy === 'nginx' ? 'no proxy_ssl_name' : 'no tls_server_name'),
                r.proxy === 'nginx' && !t.sni && 'proxy_ssl_server_name off',
            ].filter(Boolean);
            return gaps.length
                ? [
                    {
                        proxy: r.proxy,
                        place: r.place,
                        message: `${r.label}: https to ${byAddress[0].host} with ${gaps.join(' and ')}`,
                    },
                ]
                : [];
        }),
    },
    {
        id: 'selinux-network-connect-off',
        severity: 'error',
        why: 'SELinux keeps the web server from opening network connections: every proxied request gets 502, "connect() ... failed (13: Permission denied)" in the error log',
        fix: { host: 'setsebool -P httpd_can_network_connect 1' },
        find: ({ selinuxNetworkConnect, routes }) => selinuxNetworkConnect === false && routes.length
            ? [
                {
                    place: { file: 'getsebool httpd_can_network_connect', line: 0 },
                    message: 'httpd_can_network_connect is off',
                },
            ]
            : [],
    },
];
/** Every check over the input: findings in the table's order, each place once per check. */
export function runChecks(input, checks = CHECKS) {
    const out = [];
    const seen = new Set();
    for (const c of checks) {
        for (const h of c.find(input)) {
            const key = `${c.id}\u0000${h.place.file}\u0000${h.place.line}\u0000${h.message}`;
            if (seen.has(key))
                continue;
            seen.add(key);
            const fix = h.fix ?? (h.proxy ? c.fix[h.proxy] : undefined) ?? c.fix.openclaw ?? c.fix.host ?? c.fix.nginx ?? '';
            out.push({
                id: c.id,
                severity: c.severity,
                file: h.place.file,
                line: h.place.line,
                message: h.message,
                why: c.why,
                fix,
            });
        }
    }
    return out;
}
//# sourceMappingURL=checks.js.map