/**
 * The drill of `claw-trace probe`: the same HTTP checks (/healthz, /readyz) and a WebSocket
 * upgrade through the public URL and straight to the gateway on loopback, each with a request ID
 * of its own, and the response headers of the two compared.
 */
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import WebSocket from 'ws';
export const PROBE_ID_HEADER = 'X-Request-ID';
/** The ID the proxy's log knows the check by. */
export const loggedId = (c) => c.proxyId ?? c.requestId;
function returned(headers, sent) {
    // Bounded as the index bounds the IDs it stores: the header is whatever the proxy sent.
    const back = headers['x-request-id']?.slice(0, 256);
    return { idReturned: back !== undefined, proxyId: back !== undefined && back !== sent ? back : undefined };
}
export const newRequestId = () => `probe-${randomBytes(8).toString('hex')}`;
const TIMEOUT_MS = 5000;
/** An answer that has begun but not ended: a probe answer is a few bytes, so this is a trickle. */
const WHOLE_ANSWER_MS = TIMEOUT_MS + 1000;
/** Hop-by-hop and per-answer headers: different on every answer, so not a difference of the paths. */
const VOLATILE = new Set([
    'date',
    'connection',
    'keep-alive',
    'transfer-encoding',
    'content-length',
    'sec-websocket-accept',
    'etag',
    'last-modified',
    'age',
]);
function flat(h) {
    const out = {};
    for (const [k, v] of Object.entries(h))
        if (v !== undefined)
            out[k] = Array.isArray(v) ? v.join(', ') : v;
    return out;
}
/** Whether `url`'s host is this host (a loopback or one of its own addresses): then the proxy sees a local client. */
export async function isThisHost(url) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    let addrs;
    try {
        addrs = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
    }
    catch {
        return false;
    }
    const own = new Set(Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
    return addrs.some((a) => /^127\./.test(a) || a === '::1' || own.has(a));
}
function join(base, p) {
    const u = new URL(base);
    u.pathname = `${u.pathname.replace(/\/+$/, '')}${p}`;
    return u.toString();
}
export function httpCheck(via, base, check, o) {
    const url = join(base, check.slice(4));
    const requestId = newRequestId();
    const started = performance.now();
    const lib = url.startsWith('https:') ? https : http;
    return new Promise((resolve) => {
        const done = (r) => resolve({ via, url, check, requestId, ms: Math.round(performance.now() - started), ...r });
        const req = lib.get(url, { headers: { [PROBE_ID_HEADER]: requestId }, agent: false, timeout: TIMEOUT_MS }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
                if (body.length < 4096)
                    body += d;
            });
            res.on('end', () => {
                const status = res.statusCode ?? 0;
                const headers = flat(res.headers);
                const ids = returned(headers, requestId);
                if (status === 200 && gatewayProbeAnswer(headers, body)) {
                    done({ status, ok: true, headers, ...ids });
                    return;
                }
                if (status === 200) {
                    // A catch-all page (a static site, the proxy's default server) answers 200 to anything.
                    done({
                        status,
                        ok: false,
                        headers,
                        ...ids,
                        note: `answered 200 but not as the gateway does (JSON)${describe(headers, body)}: the request did not reach the gateway's ${check.slice(4)}`,
                    });
                    return;
                }
                const { ok, note } = judge(via, status, body, o.localClient, headers);
                done({ status, headers, ...ids, ok, note });
            });
            res.on('error', (e) => done({
                status: res.statusCode ?? 0,
                ok: false,
                note: `the answer broke off: ${e.message}`,
                headers: flat(res.headers),
                idReturned: false,
            }));
        });
        req.on('timeout', () => {
            req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`));
        });
        // The socket timeout is for silence only: an answer that trickles a byte a second never ends.
        const whole = setTimeout(() => req.destroy(new Error(`no whole answer within ${WHOLE_ANSWER_MS} ms`)), WHOLE_ANSWER_MS);
        req.on('close', () => clearTimeout(whole));
        req.on('error', (e) => done({ status: 0, ok: false, note: errorNote(e), headers: {}, idReturned: false }));
    });
}
/**
 * A refusal that is not a fault: through the proxy from this host itself the gateway sees a
 * loopback client in X-Forwarded-For and refuses to attribute it (403 proxy_attribution_required),
 * even when the proxy is trusted. From another host the same answer is a fault.
 */
function judge(via, status, body, localClient, headers = {}) {
    if (via === 'public' && status === 403 && /proxy_attribution_required/.test(body)) {
        return localClient
            ? {
                ok: true,
                known: true,
                note: "the gateway refuses to attribute a loopback client through the proxy (403 proxy_attribution_required): expected when probing from the proxy's own host; run probe from another host to check this path",
            }
            : {
                ok: false,
                known: true,
                note: "the gateway does not trust the proxy (403 proxy_attribution_required): add the proxy's address to gateway.trustedProxies",
            };
    }
    return { ok: false, note: body.trim() ? `answered${describe(headers, body)}` : undefined };
}
/** A connection's failure in words; a certificate this host does not trust says how to trust it. */
function errorNote(e) {
    const text = e.code ? `${e.code}: ${e.message}` : e.message;
    const untrusted = [
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'SELF_SIGNED_CERT_IN_CHAIN',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ];
    if (e.code && untrusted.includes(e.code))
        return `${text} (a private CA or self-signed certificate: run probe with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
    return text;
}
/** The gateway answers its probes (/healthz, /readyz) with a JSON object. */
function gatewayProbeAnswer(headers, body) {
    if (/json/i.test(headers['content-type'] ?? ''))
        return true;
    try {
        return typeof JSON.parse(body) === 'object';
    }
    catch {
        return false;
    }
}
/** A short word on an answer's body: a page is named by its type, a short text is quoted. */
function describe(headers, body) {
    const type = headers['content-type']?.split(';')[0];
    if (/html/.test(type ?? '') || /^\s*</.test(body))
        return ` (${type ?? 'an HTML page'}, ${body.length}${body.length >= 4096 ? '+' : ''} bytes)`;
    const text = body.trim().replace(/\s+/g, ' ');
    return text ? ` (${text.slice(0, 160)})` : '';
}
/** A WebSocket upgrade: 101, then the gateway's first frame (its connect.challenge) within the timeout. */
export function wsCheck(via, base, o) {
    const url = join(base, '/').replace(/^http/, 'ws');
    const requestId = newRequestId();
    const started = performance.now();
    return new Promise((resolve) => {
        let settled = false;
        let headers = {};
        let status = 0;
        const ws = new WebSocket(url, { headers: { [PROBE_ID_HEADER]: requestId }, handshakeTimeout: TIMEOUT_MS });
        const finish = (r) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            resolve({
                via,
                url,
                check: 'WebSocket',
                requestId,
                status,
                ms: Math.round(performance.now() - started),
                headers,
                ...returned(headers, requestId),
                ...r,
            });
            // A polite close (1000): the proxy logs the upgrade as done, not as cut.
            if (ws.readyState === WebSocket.OPEN)
                ws.close(1000);
            else
                ws.terminate();
        };
        const timer = setTimeout(() => finish({
            ok: false,
            note: status === 101
                ? `upgraded, but no frame from the gateway within ${TIMEOUT_MS} ms`
                : status
                    ? `no upgrade: answered ${status}, and the answer did not end within ${TIMEOUT_MS} ms`
                    : `no answer within ${TIMEOUT_MS} ms`,
        }), TIMEOUT_MS + 500);
        ws.on('upgrade', (res) => {
            status = res.statusCode ?? 101;
            headers = flat(res.headers);
        });
        ws.on('message', (data) => {
            const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
            let event;
            try {
                event = JSON.parse(text).event;
            }
            catch {
                /* not JSON: still a frame */
            }
            finish({ ok: true, firstFrame: event ?? `${text.length} bytes` });
        });
        ws.on('unexpected-response', (_req, res) => {
            status = res.statusCode ?? 0;
            headers = flat(res.headers);
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
                if (body.length < 4096)
                    body += d;
            });
            res.on('end', () => {
                const j = judge(via, status, body, o.localClient);
                finish(j.known ? j : { ok: false, note: `no upgrade: answered ${status}${describe(headers, body)}` });
            });
            res.on('error', () => finish({ ok: false, note: `no upgrade: answered ${status}` }));
        });
        ws.on('error', (e) => finish({ ok: false, note: errorNote(e) }));
        ws.on('close', (code) => finish({ ok: false, note: `closed (${code}) before the gateway's first frame` }));
    });
}
/** What the proxy adds, drops or changes: headers of the same check through each path. */
export function diffHeaders(pub, loop) {
    const keys = (h) => Object.keys(h).filter((k) => !VOLATILE.has(k) && k !== 'x-request-id');
    const a = keys(pub.headers);
    const b = keys(loop.headers);
    return {
        check: pub.check,
        onlyPublic: a.filter((k) => !(k in loop.headers)).sort(),
        onlyLoopback: b.filter((k) => !(k in pub.headers)).sort(),
        differ: a.filter((k) => k in loop.headers && loop.headers[k] !== pub.headers[k]).sort(),
    };
}
/** One round: every check through both paths (the public one first, as a user meets it). */
export async function runRound(publicUrl, loopbackUrl) {
    const localClient = await isThisHost(publicUrl);
    const checks = [];
    for (const [via, base] of [
        ['public', publicUrl],
        ['loopback', loopbackUrl],
    ]) {
        checks.push(await httpCheck(via, base, 'GET /healthz', { localClient }));
        checks.push(await httpCheck(via, base, 'GET /readyz', { localClient }));
        checks.push(await wsCheck(via, base, { localClient }));
    }
    const diffs = checks
        .filter((c) => c.via === 'public')
        .map((p) => diffHeaders(p, checks.find((l) => l.via === 'loopback' && l.check === p.check)))
        .filter((d) => d.onlyPublic.length || d.onlyLoopback.length || d.differ.length);
    return { checks, diffs };
}
//# sourceMappingURL=drill.js.map