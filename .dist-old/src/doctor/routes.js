export const REQUEST_ID_HEADER = 'x-request-id';
// nginx's defaults (ngx_http_proxy_module): 60 s for both.
const NGINX_DEFAULT_TIMEOUT_S = 60;
/** nginx's time syntax: 300, 300s, 5m, 1h30m, 500ms. */
export function nginxSeconds(v) {
    const units = {
        ms: 0.001,
        s: 1,
        m: 60,
        h: 3600,
        d: 86400,
        w: 604800,
        M: 2592000,
        y: 31536000,
    };
    let total = 0;
    const re = /(\d+)(ms|s|m|h|d|w|M|y)?/g;
    let used = 0;
    for (const m of v.matchAll(re)) {
        total += Number(m[1]) * units[m[2] ?? 's'];
        used += m[0].length;
    }
    return used === v.length && used > 0 ? total : undefined;
}
/** `http://127.0.0.1:18789/x`, `https://[::1]`, `http://name` (an upstream block) */
export function parseUrl(u) {
    // `http://unix:/run/x.sock:/`: a unix socket, no host or port to check.
    if (/^https?:\/\/unix:/i.test(u))
        return undefined;
    const m = /^(https?):\/\/(\[[^\]]+\]|[^/:$]+)(?::(\d+))?/i.exec(u);
    if (!m)
        return undefined;
    return {
        scheme: m[1].toLowerCase(),
        host: m[2].replace(/^\[|\]$/g, ''),
        port: m[3] ? Number(m[3]) : undefined,
    };
}
/** `127.0.0.1:18789`, `[::1]:18789`, `localhost`, `unix:/x` (undefined) */
function hostPort(addr, defaultPort) {
    if (addr.startsWith('unix:'))
        return undefined;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(addr);
    if (!m)
        return undefined;
    return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : defaultPort };
}
/** The nearest level (innermost first) that has `name`, with all its occurrences there (nginx's inheritance). */
function nearest(chain, name) {
    for (let i = chain.length - 1; i >= 0; i--) {
        const here = chain[i].filter((d) => d.name === name);
        if (here.length)
            return here;
    }
    return undefined;
}
const NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
/** Every location that proxies, in the http blocks of an nginx config. */
export function nginxRoutes(directives) {
    const routes = [];
    const formats = new Map([['combined', NGINX_COMBINED]]);
    const upstreamBlocks = new Map();
    const maps = new Map();
    for (const http of directives.filter((d) => d.name === 'http')) {
        for (const d of http.block ?? []) {
            if (d.name === 'log_format' && d.args.length >= 2)
                formats.set(d.args[0], d.args
                    .slice(1)
                    .filter((a) => !a.startsWith('escape='))
                    .join(''));
            if (d.name === 'upstream' && d.block)
                upstreamBlocks.set(d.args[0], d);
            if (d.name === 'map' && d.block && d.args.length === 2) {
                maps.set(d.args[1].replace(/^\$/, ''), {
                    source: d.args[0],
                    values: d.block.filter((e) => e.args.length).map((e) => e.args.at(-1)),
                });
            }
        }
    }
    const main = directives.filter((d) => !d.block); // the main context: error_log can be set there
    let servers = 0;
    // Each level's directives, outermost first: what nginx inherits from.
    const walk = (chain, here, label, place, server) => {
        const full = [...chain, here];
        const pass = here.find((d) => d.name === 'proxy_pass');
        if (pass && label.startsWith('location'))
            routes.push(nginxRoute(full, pass, label, place, server, formats, upstreamBlocks, maps));
        for (const d of here) {
            if (!d.block)
                continue;
            if (d.name === 'server')
                walk(full, d.block, 'server', { file: d.file, line: d.line }, `${serverName(d)}#${++servers}`);
            if (d.name === 'location')
                walk(full, d.block, `location ${d.args.join(' ')}${server ? ` (server ${server.replace(/#\d+$/, '')})` : ''}`, { file: d.file, line: d.line }, server);
        }
    };
    for (const http of directives.filter((d) => d.name === 'http' && d.block))
        walk([main], http.block, 'http', { file: http.file, line: http.line }, '');
    return routes;
}
/** A server block as people name it: its first server_name, else its first listen. */
function serverName(server) {
    const name = server.block?.find((d) => d.name === 'server_name')?.args.find((a) => a && a !== '_' && a !== '""');
    const listen = server.block?.find((d) => d.name === 'listen');
    return name ?? (listen ? `listen ${listen.args[0]}` : 'server');
}
/** `$upstream` in proxy_pass: the value of the nearest `set $upstream ...` (nginx's rewrite module), and that `set`. */
function substituteSet(chain, value) {
    let used;
    const out = value.replace(/\$\{?(\w+)\}?/g, (all, name) => {
        const set = chain
            .flat()
            .filter((d) => d.name === 'set' && d.args[0] === `$${name}`)
            .at(-1);
        if (set)
            used = set;
        return set?.args[1] ?? all;
    });
    return { value: out, set: used };
}
/** Whether a Connection header value carries "upgrade" for a WebSocket request. */
function connectionUpgrades(value, maps) {
    if (/upgrade/i.test(value.replace(/\$\{?\w+\}?/g, '')))
        return true;
    // The client's own Connection header: "Upgrade" on a WebSocket request.
    if (/^\$\{?http_connection\}?$/.test(value))
        return true;
    const v = /^\$\{?(\w+)\}?$/.exec(value)?.[1];
    const map = v ? maps.get(v) : undefined;
    // map $http_upgrade $x { default upgrade; "" close; }: whatever the name, it upgrades when asked to.
    return !!map && /^\$\{?http_upgrade\}?$/.test(map.source) && map.values.some((x) => /upgrade/i.test(x));
}
function nginxRoute(chain, pass, label, place, server, formats, blocks, maps) {
    const at = (d) => ({ file: d.file, line: d.line });
    const target = substituteSet(chain, pass.args[0] ?? '');
    const url = parseUrl(target.value);
    const upstreams = [];
    if (url && !url.host.includes('$')) {
        const block = url.port === undefined ? blocks.get(url.host) : undefined;
        if (block) {
            for (const s of block.block.filter((d) => d.name === 'server')) {
                const hp = hostPort(s.args[0] ?? '', url.scheme === 'https' ? 443 : 80);
                if (hp)
                    upstreams.push({ scheme: url.scheme, ...hp, place: at(s) });
            }
        }
        else {
            upstreams.push({
                scheme: url.scheme,
                host: url.host,
                port: url.port ?? (url.scheme === 'https' ? 443 : 80),
                place: at(target.set ?? pass),
            });
        }
    }
    // proxy_set_header: the innermost level that has any replaces every outer one.
    const headers = new Map();
    for (const d of nearest(chain, 'proxy_set_header') ?? [])
        headers.set(d.args[0].toLowerCase(), { value: d.args[1] ?? '', d });
    const addHeaders = new Map();
    for (const d of nearest(chain, 'add_header') ?? [])
        addHeaders.set(d.args[0].toLowerCase(), { value: d.args[1] ?? '', d });
    const one = (name) => nearest(chain, name)?.at(-1);
    const version = one('proxy_http_version');
    const timeouts = ['proxy_read_timeout', 'proxy_send_timeout'].map((name) => {
        const d = one(name);
        const seconds = d ? (nginxSeconds(d.args[0] ?? '') ?? NGINX_DEFAULT_TIMEOUT_S) : NGINX_DEFAULT_TIMEOUT_S;
        return { name: d ? name : `${name} (unset: nginx's default 60s)`, seconds, place: d ? at(d) : place };
    });
    const xff = headers.get('x-forwarded-for');
    const xffKind = (v) => {
        if (/\$\{?proxy_add_x_forwarded_for\b/.test(v))
            return 'append';
        if (/\$\{?http_x_forwarded_for\b/.test(v))
            return /\$\{?(remote_addr|realip_remote_addr)\}?\s*$/.test(v) ? 'append' : 'client';
        return 'overwrite';
    };
    const logs = nearest(chain, 'access_log');
    let accessLogs;
    // No access_log anywhere: nginx's default, logs/access.log in the combined format.
    if (!logs)
        accessLogs = [{ format: 'combined', text: NGINX_COMBINED, place }];
    else if (logs.some((d) => d.args[0] === 'off'))
        accessLogs = 'off';
    else
        accessLogs = logs.map((d) => ({
            format: d.args[1] ?? 'combined',
            text: formats.get(d.args[1] ?? 'combined') ?? '',
            place: at(d),
        }));
    // Several error_log at one level log to each (a file and syslog): the most verbose one counts.
    const LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];
    const rank = (d) => {
        const i = LEVELS.indexOf(d.args[1] ?? 'error');
        return i < 0 ? LEVELS.indexOf('error') : i;
    };
    const errorLog = nearest(chain, 'error_log')?.reduce((a, b) => (rank(b) < rank(a) ? b : a));
    const sslName = one('proxy_ssl_name');
    return {
        proxy: 'nginx',
        label,
        place,
        upstreams,
        server,
        path: label
            .replace(/ \(server .*\)$/, '')
            .split(' ')
            .slice(1),
        target: pass.args[0] ?? '',
        websocket: {
            http11: version?.args[0] === '1.1',
            upgrade: /\$\{?http_upgrade\b/.test(headers.get('upgrade')?.value ?? ''),
            connection: connectionUpgrades(headers.get('connection')?.value ?? '', maps),
        },
        timeouts,
        xff: !xff ? 'none' : xffKind(xff.value),
        xffPlace: xff ? at(xff.d) : undefined,
        requestIdUp: headers.get(REQUEST_ID_HEADER)?.value,
        requestIdBack: addHeaders.get(REQUEST_ID_HEADER)?.value,
        accessLogs,
        errorLog: errorLog ? { level: errorLog.args[1] ?? 'error', place: at(errorLog) } : undefined,
        tls: upstreams.some((u) => u.scheme === 'https')
            ? {
                serverName: sslName?.args[0],
                sni: one('proxy_ssl_server_name')?.args[0] === 'on',
                verify: one('proxy_ssl_verify')?.args[0] === 'on',
                place: sslName ? at(sslName) : at(pass),
            }
            : undefined,
    };
}
/** Caddy's durations in JSON: nanoseconds as a number, or a Go duration string. */
export function caddySeconds(v) {
    if (typeof v === 'number')
        return v / 1e9;
    if (typeof v !== 'string')
        return undefined;
    const units = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
    let total = 0;
    let used = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) {
        total += Number(m[1]) * units[m[2]];
        used += m[0].length;
    }
    return used === v.length && used > 0 ? total : undefined;
}
/** The first line of `text` that contains every one of `needles` (1-based), else 0. */
export function lineOf(text, ...needles) {
    return linesOf(text, ...needles)[0] ?? 0;
}
/** Every line of `text` (1-based) that contains every one of `needles`. */
function linesOf(text, ...needles) {
    return text.split('\n').flatMap((l, i) => (needles.every((n) => l.includes(n)) ? [i + 1] : []));
}
/** Every reverse_proxy handler of an adapted Caddy config; `source` is the Caddyfile (or JSON) it came from. */
export function caddyRoutes(json, source) {
    const routes = [];
    const place = (...needles) => ({
        file: source.file,
        line: lineOf(source.text, ...needles) || lineOf(source.text, 'reverse_proxy ') || 1,
    });
    // The same `reverse_proxy 127.0.0.1:18789` written twice (two handle blocks): the nth handler gets the nth line.
    const taken = new Map();
    const nextPlace = (...needles) => {
        const key = needles.join('\u0000');
        const lines = linesOf(source.text, ...needles);
        const n = taken.get(key) ?? 0;
        taken.set(key, n + 1);
        return lines.length ? { file: source.file, line: lines[Math.min(n, lines.length - 1)] } : place(...needles);
    };
    for (const [name, server] of Object.entries(json.apps?.http?.servers ?? {})) {
        // Caddy appends to X-Forwarded-For only from trusted_proxies; from anyone when that is everything.
        const trustsAll = (server.trusted_proxies?.ranges ?? []).some((r) => r === '0.0.0.0/0' || r === '::/0' || r === 'private_ranges');
        const walk = (list, inherited) => {
            for (const r of list) {
                let back = inherited.back;
                for (const h of r.handle ?? []) {
                    if (h.handler === 'headers') {
                        const set = Object.entries(h.response?.set ?? {}).find(([k]) => k.toLowerCase() === REQUEST_ID_HEADER)?.[1]?.[0];
                        back = set ?? back;
                        // A `header` with no matcher is a route of its own that applies to every later sibling
                        // (Caddy chains routes until a terminal handler): the reverse_proxy after it returns the ID.
                        if (set && !r.match)
                            inherited.back = set;
                    }
                    if (h.handler === 'subroute')
                        walk(h.routes ?? [], { back });
                    if (h.handler !== 'reverse_proxy')
                        continue;
                    const dials = (h.upstreams ?? []).map((u) => u.dial ?? '').filter(Boolean);
                    const t = h.transport ?? {};
                    const tls = t.tls;
                    const scheme = tls ? 'https' : 'http';
                    const here = nextPlace('reverse_proxy ', dials[0] ?? '');
                    const setUp = h.headers?.request?.set ?? {};
                    const idUp = Object.entries(setUp).find(([k]) => k.toLowerCase() === REQUEST_ID_HEADER)?.[1]?.[0];
                    // header_up X-Forwarded-For "{http.request.header.X-Forwarded-For}" passes the client's own on;
                    // with ", {remote_host}" after it, Caddy's address for the client is the last (what the gateway takes).
                    const xffUp = Object.entries(setUp)
                        .find(([k]) => k.toLowerCase() === 'x-forwarded-for')?.[1]
                        ?.join(',') ?? '';
                    const xff = !xffUp
                        ? trustsAll
                            ? 'append'
                            : 'overwrite'
                        : !/\{http\.request\.header\.X-Forwarded-For\}/i.test(xffUp)
                            ? 'overwrite'
                            : /\{(remote_host|remote|client_ip|http\.request\.remote\.host)\}\s*$/.test(xffUp)
                                ? 'append'
                                : 'client';
                    routes.push({
                        proxy: 'caddy',
                        label: `reverse_proxy ${dials.join(' ')}`,
                        place: here,
                        server: name,
                        target: dials.join(' '),
                        upstreams: dials.map((d) => ({
                            scheme,
                            ...(hostPort(d, scheme === 'https' ? 443 : 80) ?? { host: d, port: 0 }),
                            place: place(d),
                        })),
                        timeouts: ['read_timeout', 'write_timeout', 'response_header_timeout'].flatMap((name) => {
                            const s = caddySeconds(t[name]);
                            return s === undefined ? [] : [{ name, seconds: s, place: place(name) }];
                        }),
                        xff,
                        xffPlace: xffUp ? place('X-Forwarded-For') : undefined,
                        requestIdUp: idUp,
                        requestIdBack: back,
                        // The `log` directive's line: a line that starts with it, not one that contains "blog.example.com".
                        accessLogs: server.logs === undefined
                            ? 'off'
                            : [
                                {
                                    format: 'json',
                                    text: '',
                                    place: {
                                        file: source.file,
                                        line: source.text.split('\n').findIndex((l) => /^\s*log(\s|\{|$)/.test(l)) + 1 || here.line,
                                    },
                                },
                            ],
                        tls: tls
                            ? {
                                serverName: tls.server_name,
                                sni: true,
                                verify: tls.insecure_skip_verify !== true,
                                place: place(tls.server_name ?? 'transport'),
                            }
                            : undefined,
                    });
                }
            }
        };
        walk(server.routes ?? [], {});
    }
    return routes;
}
//# sourceMappingURL=routes.js.map