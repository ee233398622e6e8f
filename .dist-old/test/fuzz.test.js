/**
 * Mutated real lines into every parser: truncation, flipped and control characters, raw binary,
 * wrong JSON types, absurd times, huge lines. No parser may throw, and every record it returns
 * must still hold its invariants (a finite in-range time, integer status, text where text goes).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createParser, ParseError } from '../parsers/index.js';
import { fixture, prng } from './helpers.js';
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 5000);
const sources = [
    ['nginx-combined', 'nginx/combined.log'],
    ['nginx-main', 'nginx/main.log'],
    ['nginx-claw_json', 'nginx/claw_json.log'],
    ['nginx-json', 'nginx/claw_json.log'],
    ['nginx-error', 'nginx/error.log'],
    ['caddy', 'caddy/access.log'],
    ['caddy', 'caddy/error.log'],
    ['openclaw', 'openclaw/openclaw-2026-11-22.log'],
];
const STRING_FIELDS = [
    'requestId',
    'inboundRequestId',
    'method',
    'uri',
    'host',
    'clientAddr',
    'userAgent',
    'message',
    'errorKind',
    'conn',
    'subsystem',
];
function checkInvariants(r, what) {
    assert.ok(Number.isFinite(r.time) && r.time > 946_684_800_000 && r.time < 4_102_444_800_000, `${what}: time in range (${r.time})`);
    assert.ok(r.status === undefined || Number.isInteger(r.status), `${what}: integer status`);
    assert.ok(r.durationMs === undefined || (Number.isFinite(r.durationMs) && r.durationMs >= 0), `${what}: duration`);
    for (const f of STRING_FIELDS)
        assert.ok(r[f] === undefined || typeof r[f] === 'string', `${what}: ${f} is text`);
    for (const u of r.upstreams ?? [])
        assert.type(u.addr, 'string');
}
function randomValue(rnd) {
    const pick = Math.floor(rnd() * 9);
    return [null, true, -1, 1e308, '', 'x'.repeat(50), [1, 'a'], { a: { b: 1 } }, '\u0000\x1b[31m\u009b'][pick];
}
function mutate(line, rnd) {
    const n = line.length;
    const at = Math.floor(rnd() * (n + 1));
    switch (Math.floor(rnd() * 9)) {
        case 0:
            return line.slice(0, at); // half-written
        case 1:
            return line.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 0x10000)) + line.slice(at + 1);
        case 2:
            return `${line.slice(0, at)}"\\\x1b[2J${line.slice(at)}`;
        case 3:
            return Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
        case 4:
            return line.slice(at) + line.slice(0, at);
        case 5:
            return line.replace(/\d/g, () => String(Math.floor(rnd() * 10)));
        case 6:
            return line.replace(/20\d\d/, rnd() < 0.5 ? '1969' : '9999');
        case 7: {
            // JSON with wrong types
            try {
                const o = JSON.parse(line);
                const keys = Object.keys(o);
                const k = keys[Math.floor(rnd() * keys.length)];
                o[k] = randomValue(rnd);
                return JSON.stringify(o);
            }
            catch {
                return `${line}}`;
            }
        }
        default:
            return line.slice(0, at) + line.slice(at, at + 40).repeat(3) + line.slice(at);
    }
}
test(`mutated lines never throw and records keep their invariants (seed ${SEED})`, () => {
    const rnd = prng(SEED);
    let records = 0;
    let errors = 0;
    for (const [format, file] of sources) {
        const parse = createParser(format, { zone: 'UTC' });
        const lines = readFileSync(fixture(...file.split('/')), 'utf8')
            .split('\n')
            .filter(Boolean);
        for (let i = 0; i < ROUNDS; i++) {
            const line = mutate(lines[i % lines.length], rnd);
            let r;
            try {
                r = parse(line);
            }
            catch (e) {
                assert.unreachable(`${format} threw on ${JSON.stringify(line.slice(0, 300))}: ${e.stack}`);
                return;
            }
            if (r instanceof ParseError) {
                errors++;
                assert.type(r.detail, 'string');
            }
            else {
                records++;
                checkInvariants(r, `${format} on ${JSON.stringify(line.slice(0, 120))}`);
            }
        }
    }
    assert.ok(errors > 0 && records > 0, `both outcomes seen (records ${records}, errors ${errors})`);
});
test('1 MB lines are refused with a reason, in every format', () => {
    const huge = `{"a":"${'x'.repeat(1024 * 1024)}"}`;
    for (const [format] of sources) {
        const r = createParser(format)(huge);
        assert.instance(r, ParseError);
        assert.is(r.reason, 'line-too-long', format);
    }
});
test.run();
//# sourceMappingURL=fuzz.test.js.map