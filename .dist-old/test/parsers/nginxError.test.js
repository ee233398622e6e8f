import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyNginxError, ERROR_KINDS, makeNginxErrorParser, ParseError, } from '../../parsers/index.js';
const t = suite('nginx error');
const parse = makeNginxErrorParser({ zone: 'UTC' });
const rec = (line) => {
    const r = parse(line);
    if (r instanceof ParseError)
        throw new Error(`${r.reason}: ${r.detail}`);
    return r;
};
t('every part of an error line', () => {
    const r = rec('2026/11/22 13:01:49 [error] 4546#4547: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab.test, request: "GET /refused?ms=3000 HTTP/1.1", upstream: "http://127.0.0.1:9999/refused?ms=3000", host: "127.0.0.1:8080", referrer: "https://a.example/"');
    assert.is(r.time, Date.UTC(2026, 10, 22, 13, 1, 49));
    assert.is(r.level, 'error');
    assert.is(r.pid, 4546);
    assert.is(r.tid, 4547);
    assert.is(r.connection, 5);
    assert.is(r.message, 'connect() failed (111: Connection refused) while connecting to upstream');
    assert.is(r.errno, 111);
    assert.is(r.action, 'connecting to upstream');
    assert.is(r.errorKind, 'upstream-refused');
    assert.is(r.clientAddr, '127.0.0.1');
    assert.is(r.serverName, 'lab.test');
    assert.is(r.method, 'GET');
    assert.is(r.uri, '/refused?ms=3000');
    assert.is(r.upstreamUrl, 'http://127.0.0.1:9999/refused?ms=3000');
    assert.is(r.host, '127.0.0.1:8080');
    assert.is(r.referer, 'https://a.example/');
});
t('the zone comes from configuration (wall clock, DST-correct)', () => {
    const line = '2026/07/01 12:00:00 [warn] 1#1: *1 upstream server temporarily disabled while connecting to upstream, client: 1.2.3.4, server: s, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:1/", host: "h"';
    assert.is(makeNginxErrorParser({ zone: 'Europe/Berlin' })(line).time, Date.UTC(2026, 6, 1, 10, 0, 0));
    assert.is(makeNginxErrorParser({ zone: '+05:30' })(line).time, Date.UTC(2026, 6, 1, 6, 30, 0));
    assert.throws(() => makeNginxErrorParser({ zone: 'Mars/Olympus' }), /unknown time zone/);
});
t('a request line holding quotes and the context separators stays whole', () => {
    const r = rec('2026/11/22 13:01:49 [error] 1#1: *9 upstream prematurely closed connection while reading response header from upstream, client: 1.2.3.4, server: s, request: "GET /a", host: "evil" HTTP/1.1", upstream: "http://127.0.0.1:1/a", host: "real.example"');
    assert.is(r.request, 'GET /a", host: "evil" HTTP/1.1');
    assert.is(r.host, 'real.example');
});
t('lines without a connection or context (startup, alerts)', () => {
    const a = rec('2026/11/22 13:28:45 [alert] 4241#4241: 12 worker_connections are not enough');
    assert.is(a.connection, undefined);
    assert.is(a.errorKind, 'worker-connections');
    const b = rec('2026/11/22 13:28:45 [crit] 4241#4241: accept4() failed (24: Too many open files)');
    assert.is(b.errorKind, 'too-many-open-files');
    assert.is(b.errno, 24);
});
t('every message of SOURCES.md gets its kind', () => {
    const cases = [
        ['connect() to 10.0.0.9:18789 failed (113: No route to host) while connecting to upstream', 'upstream-no-route'],
        ['upstream timed out (110: Connection timed out) while connecting to upstream', 'upstream-connect-timeout'],
        [
            'upstream timed out (110: Connection timed out) while reading response header from upstream',
            'upstream-header-timeout',
        ],
        ['upstream timed out (110: Connection timed out) while reading upstream', 'upstream-body-timeout'],
        ['upstream prematurely closed connection while reading response header from upstream', 'upstream-premature-close'],
        ['recv() failed (104: Connection reset by peer) while reading response header from upstream', 'upstream-reset'],
        ['upstream sent too big header while reading response header from upstream', 'upstream-header-too-big'],
        ['no live upstreams while connecting to upstream', 'no-live-upstreams'],
        ['upstream server temporarily disabled while connecting to upstream', 'upstream-disabled'],
        [
            'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream',
            'upstream-tls-handshake',
        ],
        [
            'upstream SSL certificate verify error: (62:Hostname mismatch) while SSL handshaking to upstream',
            'upstream-tls-verify',
        ],
        [
            'upstream SSL certificate does not match "wrong.example" while SSL handshaking to upstream',
            'upstream-tls-verify',
        ],
        ['peer closed connection in SSL handshake while SSL handshaking to upstream', 'upstream-tls-handshake'],
        [
            'connect() to 127.0.0.1:18789 failed (13: Permission denied) while connecting to upstream',
            'upstream-permission-denied',
        ],
        ['upstream timed out (110: Connection timed out) while proxying upgraded connection', 'ws-idle-timeout'],
        ['1024 worker_connections are not enough while connecting to upstream', 'worker-connections'],
        ['accept4() failed (24: Too many open files)', 'too-many-open-files'],
        ['connect() to [::1]:18789 failed (111: Connection refused) while connecting to upstream', 'upstream-refused'],
    ];
    for (const [msg, kind] of cases)
        assert.is(classifyNginxError(msg), kind, msg);
    assert.ok(ERROR_KINDS.length >= 20);
});
t('cut at 2048 bytes by nginx: still a record, flagged', () => {
    const head = '2026/11/22 13:01:49 [error] 1#1: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: s, request: "GET /';
    const r = rec(head + 'a'.repeat(2047 - head.length));
    assert.is(r.errorKind, 'upstream-refused');
    assert.is(r.fields?.truncatedByNginx, true);
});
t('not an error line', () => {
    assert.is(parse('{"json": true}').reason, 'format-mismatch');
    assert.is(parse('2026/11/22 13:0').reason, 'truncated');
});
t.run();
//# sourceMappingURL=nginxError.test.js.map