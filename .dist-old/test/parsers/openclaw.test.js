import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeOpenClawParser } from '../../parsers/index.js';
import { fixture, parseLines } from '../helpers.js';
const t = suite('openclaw');
const parse = makeOpenClawParser();
t('the gateway fixture: every line, every event', () => {
    const { records, errors } = parseLines(fixture('openclaw', 'openclaw-2026-11-22.log'), 'openclaw');
    assert.equal(errors, []);
    assert.equal(records.map((r) => r.lifecycle ?? r.event), [
        'config',
        'ws-closed-before-connect',
        'trusted-proxy',
        'http-starting',
        'listening',
        'ws-connected',
        'rpc',
        'rpc',
        'ws-disconnected',
        'ws-closed-before-connect',
        'shutdown',
        'ready',
        'log',
    ]);
    const [cfg, closed, proxy, , , connected, rpcOk, rpcFail, disc, closed2, , ready] = records;
    assert.is(cfg.time, Date.parse('2026-11-22T13:02:17.941Z'));
    assert.is(cfg.subsystem, 'gateway');
    assert.is(cfg.level, 'info');
    assert.is(closed.conn, 'd2d1a70c-3b44-4e11-9114-97b652dfe6de');
    assert.is(closed.closeCode, 1008);
    assert.is(closed.cause, 'device-required');
    assert.is(closed.durationMs, 42);
    assert.is(closed.clientPort, 38150);
    assert.is(closed.localAddr, '127.0.0.1:18789');
    assert.is(proxy.clientAddr, '127.0.0.1');
    assert.is(proxy.traceId, 'a914cadb7d6754153c08f67271382b54');
    assert.is(proxy.spanId, 'e779eacbd87aa6ff');
    assert.is(connected.conn, '6f1c2a9b-8d3e-4f5a-9b1c-2d3e4f5a41d2');
    assert.is(connected.clientAddr, '127.0.0.1');
    assert.is(rpcOk.message.includes('\x1b'), false, 'ANSI stripped');
    assert.equal([rpcOk.rpcOk, rpcOk.rpcMethod, rpcOk.durationMs, rpcOk.conn, rpcOk.rpcId], [true, 'chat.send', 812, '6f1c2a9b…41d2', '1b2c3d4e…9f00']);
    assert.equal([rpcFail.rpcOk, rpcFail.rpcMethod, rpcFail.durationMs], [false, 'sessions.list', undefined]);
    assert.equal([disc.closeCode, disc.durationMs, disc.forwardedFor, disc.host], [1006, 90230, '203.0.113.9', 'claw.example.com']);
    assert.ok(disc.userAgent.startsWith('Mozilla/5.0 (Macintosh;'));
    assert.is(closed2.closeReason, 'origin not allowed');
    assert.is(closed2.userAgent, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15', 'a user agent with spaces stays whole');
    assert.is(closed2.requestId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.is(ready.time, Date.UTC(2026, 10, 22, 13, 7, 31, 200), 'older shape: local time with offset');
});
t('a plugin saying "starting" is not the gateway starting', () => {
    const r = parse(JSON.stringify({ time: '2026-11-22T13:00:00Z', level: 'info', subsystem: 'browser', message: 'starting' }));
    assert.is(r.event, 'log');
});
t('bad lines give reasons', () => {
    const reason = (s) => parse(s).reason;
    assert.is(reason('{"0":"x","_meta":{"date":12},"1":"m"}'), 'bad-field');
    assert.is(reason('{"foo":1}'), 'missing-field');
    assert.is(reason('{"time":"2026-11-22T13:00:00Z","foo":1}'), 'missing-field');
    assert.is(reason('{"time":"2026-11-22T13:00:00Z","message":{"a":1}}'), 'bad-field');
    assert.is(reason('{"time":"1900-01-01T00:00:00Z","message":"x"}'), 'time-out-of-range');
    assert.is(reason('{"time":"2026-11-22T13:00:00Z","mess'), 'truncated');
});
t.run();
//# sourceMappingURL=openclaw.test.js.map