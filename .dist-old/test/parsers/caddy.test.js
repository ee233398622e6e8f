import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectFormat, LogRecord, makeCaddyParser, ParseError } from '../../parsers/index.js';
import { fixture } from '../helpers.js';
const t = suite('caddy');
const parse = makeCaddyParser({ zone: 'UTC' });
const rec = (o, p = parse) => {
    const r = p(typeof o === 'string' ? o : JSON.stringify(o));
    if (r instanceof ParseError)
        throw new Error(`${r.reason}: ${r.detail}`);
    return r;
};
const base = {
    level: 'info',
    ts: 1795352666.483769,
    logger: 'http.log.access.log0',
    msg: 'handled request',
    request: {
        remote_ip: '127.0.0.1',
        remote_port: '50136',
        proto: 'HTTP/1.1',
        method: 'GET',
        host: 'claw.example.com',
        uri: '/ok?a=1',
        headers: {
            'User-Agent': ['curl/7.88.1'],
            'X-Request-Id': ['client-abc-123'],
            Traceparent: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
        },
    },
    duration: 0.003963612,
    size: 344,
    status: 200,
    resp_headers: { 'X-Request-Id': ['1406a9e3-6680-4f10-bf45-fcb15a54c488'] },
};
t('2.6 access line: end time, start from duration, IDs from response and request headers', () => {
    const r = rec(base);
    assert.is(r.source, 'caddy-access');
    assert.ok(Math.abs(r.time - 1795352666483.769) < 0.01);
    assert.ok(Math.abs(r.durationMs - 3.963612) < 1e-6);
    assert.ok(Math.abs(r.start - (r.time - 3.963612)) < 0.01);
    assert.is(r.requestId, '1406a9e3-6680-4f10-bf45-fcb15a54c488');
    assert.is(r.inboundRequestId, 'client-abc-123');
    assert.is(r.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.is(r.clientPort, 50136);
    assert.is(r.host, 'claw.example.com');
    assert.is(r.status, 200);
});
t('2.7+/2.8+: client_ip, bytes_read, top-level uuid wins', () => {
    const r = rec({
        ...base,
        uuid: '0e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22',
        bytes_read: 120,
        request: { ...base.request, client_ip: '203.0.113.9' },
    });
    assert.is(r.requestId, '0e6a7c1e-5b9e-4f51-a1a8-3f3b7c9d1e22');
    assert.is(r.bytesRead, 120);
    assert.is(r.fields?.client_ip, '203.0.113.9');
});
t('a configured request-ID header, in any letter case', () => {
    const p = makeCaddyParser({ requestIdHeader: 'x-correlation-id' });
    const r = rec({ ...base, resp_headers: {}, request: { ...base.request, headers: { 'X-Correlation-Id': ['corr-7'] } } }, p);
    assert.is(r.requestId, 'corr-7');
});
t('status 0 is kept: nothing was written', () => {
    assert.is(rec({ ...base, status: 0 }).status, 0);
});
t('custom time_format and duration_format', () => {
    const at = Date.UTC(2026, 10, 22, 13, 4, 26, 483);
    assert.is(rec({ ...base, ts: '2026-11-22T13:04:26.483Z' }).time, at);
    assert.is(rec({ ...base, ts: '2026-11-22T14:04:26.483+01:00' }).time, at);
    assert.is(rec({ ...base, ts: 1795352666483 }).time, 1795352666483, 'unix_milli');
    assert.is(rec({ ...base, ts: 1795352666483000000 }).time, 1795352666483, 'unix_nano');
    assert.is(rec({ ...base, ts: '2026/11/22 13:04:26.483' }).time, at, 'wall_milli in the configured zone');
    assert.is(rec({ ...base, ts: '22/Nov/2026:13:04:26 +0000' }).time, at - 483, 'common_log');
    assert.is(rec({ ...base, duration: 3963612 }).durationMs, 3.963612, 'nano');
    assert.is(rec({ ...base, duration: '1m2.5s' }).durationMs, 62500, 'string');
    assert.is(rec({ ...base, duration: '350µs' }).durationMs, 0.35, 'string µs');
});
t('error lines and reverse_proxy debug lines: kinds, upstream, err_id', () => {
    const e = rec({
        level: 'error',
        ts: 1795352666.4993033,
        logger: 'http.log.error.log0',
        msg: 'dial tcp 127.0.0.1:9999: connect: connection refused',
        request: base.request,
        duration: 0.000614832,
        status: 502,
        err_id: 'z05j2ee70',
        err_trace: 'reverseproxy.statusError (reverseproxy.go:1272)',
    });
    assert.is(e.source, 'caddy-error');
    assert.is(e.errorKind, 'upstream-refused');
    assert.is(e.errorId, 'z05j2ee70');
    const d = rec({
        level: 'debug',
        ts: 1795352666.49,
        logger: 'http.handlers.reverse_proxy',
        msg: 'upstream roundtrip',
        upstream: '127.0.0.1:18789',
        duration: 1.0003,
        request: base.request,
        error: 'net/http: timeout awaiting response headers',
    });
    assert.is(d.source, 'caddy-proxy');
    assert.is(d.errorKind, 'upstream-header-timeout');
    assert.is(d.upstreams[0].addr, '127.0.0.1:18789');
    const cut = rec({
        level: 'error',
        ts: 1795352666.5,
        logger: 'http.handlers.reverse_proxy',
        msg: 'aborting with incomplete response',
        error: 'unexpected EOF',
    });
    assert.is(cut.errorKind, 'upstream-incomplete-response');
    const kinds = [
        ['dial tcp 127.0.0.1:9: i/o timeout', 'upstream-connect-timeout'],
        ['EOF', 'upstream-premature-close'],
        ['read tcp 127.0.0.1:55186->127.0.0.1:40123: read: connection reset by peer', 'upstream-reset'],
        ['x509: certificate is valid for gateway.internal, not wrong.example', 'upstream-tls-verify'],
        ['tls: first record does not look like a TLS handshake', 'upstream-tls-handshake'],
        ['no upstreams available', 'no-live-upstreams'],
        ['dial tcp [::1]:18789: connect: connection refused', 'upstream-refused'],
    ];
    for (const [msg, kind] of kinds) {
        assert.is(rec({ level: 'error', ts: 1795352666.5, logger: 'http.log.error', msg, status: 502 }).errorKind, kind, msg);
    }
});
t('wrong types and non-Caddy lines are parse errors with the reason', () => {
    const reason = (s) => parse(s).reason;
    assert.is(reason(JSON.stringify({ ...base, status: '200' })), 'bad-field');
    assert.is(reason(JSON.stringify({ ...base, request: 'GET /' })), 'bad-field');
    assert.is(reason(JSON.stringify({ ...base, duration: -1 })), 'bad-field');
    assert.is(reason(JSON.stringify({ ...base, duration: 1e308 })), 'bad-field');
    assert.is(reason(JSON.stringify({ ...base, ts: 'yesterday' })), 'bad-time');
    assert.is(reason(JSON.stringify({ ...base, ts: 12 })), 'time-out-of-range');
    assert.is(reason(JSON.stringify({ ts: 1 })), 'missing-field');
    assert.is(reason('[1,2]'), 'not-an-object');
    assert.is(reason(JSON.stringify(base).slice(0, 100)), 'truncated');
    assert.is(reason('GET / HTTP/1.1'), 'not-json');
});
t("the runtime's own lines are records (caddy-runtime): a config load is a reload, and detection reads past them", () => {
    const file = fixture('caddy', 'runtime-reload.log');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const recs = lines.map((l) => parse(l));
    assert.ok(recs.every((r) => r instanceof LogRecord), 'every line of a real runtime log is read');
    const runtime = recs.filter((r) => r.source === 'caddy-runtime');
    assert.ok(runtime.length >= 10);
    assert.equal(runtime.filter((r) => r.errorKind === 'proxy-reload').map((r) => r.message), ['load complete']);
    assert.is(runtime.find((r) => r.message === 'serving initial configuration')?.fields, undefined, 'a line with no logger is a runtime line too');
    // The first 9 lines are admin/TLS/server lines before any request: the file is still Caddy's.
    assert.is(detectFormat(lines.slice(0, 9))?.format, 'caddy');
    assert.is(detectFormat(lines)?.format, 'caddy');
});
t.run();
//# sourceMappingURL=caddy.test.js.map