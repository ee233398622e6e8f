/**
 * `claw-trace <id> --otlp-backend URL`: the exported trace read back from a tracing backend's
 * query API. Jaeger and Tempo cannot run here (no container images can be pulled), so a fastify
 * stand-in answers `GET /api/traces/<trace id>` in their JSON: Jaeger's `{data: [{spans,
 * processes}]}` and Tempo's OTLP JSON (`batches`, IDs in base64), built from the spans that
 * `claw-trace ingest` really exported to test/otlpReceiver.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePorts } from '../fixtures/lab/upstreams.js';
import { fixture, REPO } from './helpers.js';
import { OtlpReceiver } from './otlpReceiver.js';
const t = suite('backend lookup');
const CLI = path.join(REPO, 'dist/src/cli/main.js');
let dir = '';
let receiver;
let backend;
let style = 'jaeger';
const kv = (a) => Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => ({
    key,
    value: typeof v === 'number'
        ? Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v }
        : typeof v === 'boolean'
            ? { boolValue: v }
            : { stringValue: String(v) },
}));
const b64 = (hex) => (hex ? Buffer.from(hex, 'hex').toString('base64') : undefined);
function jaeger(spans) {
    const procs = new Map();
    const pid = (r) => {
        const key = JSON.stringify(r);
        if (!procs.has(key))
            procs.set(key, r);
        return `p${[...procs.keys()].indexOf(key) + 1}`;
    };
    const tag = ([key, v]) => ({
        key,
        type: typeof v === 'number' ? 'int64' : typeof v === 'boolean' ? 'bool' : 'string',
        value: v,
    });
    const data = spans.map((s) => ({
        traceID: s.traceId,
        spanID: s.spanId,
        operationName: s.name,
        references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId }] : [],
        startTime: Number(BigInt(s.startNs) / 1000n),
        duration: Number((BigInt(s.endNs) - BigInt(s.startNs)) / 1000n),
        tags: [
            ...Object.entries(s.attributes).map(tag),
            tag(['span.kind', s.kind === 2 ? 'server' : s.kind === 3 ? 'client' : 'internal']),
            ...(s.status === 2 ? [tag(['error', true])] : []),
        ],
        logs: s.events.map((e) => ({
            timestamp: Number(BigInt(s.endNs) / 1000n),
            fields: [tag(['event', e.name]), ...Object.entries(e.attributes).map(tag)],
        })),
        processID: pid(s.resource),
    }));
    return {
        data: [
            {
                traceID: spans[0].traceId,
                spans: data,
                processes: Object.fromEntries([...procs.values()].map((r, i) => [
                    `p${i + 1}`,
                    { serviceName: r['service.name'], tags: Object.entries(r).map(tag) },
                ])),
            },
        ],
    };
}
function tempo(spans) {
    const byRes = new Map();
    for (const s of spans)
        byRes.set(JSON.stringify(s.resource), [...(byRes.get(JSON.stringify(s.resource)) ?? []), s]);
    return {
        batches: [...byRes.values()].map((ss) => ({
            resource: { attributes: kv(ss[0].resource) },
            scopeSpans: [
                {
                    scope: { name: 'claw-trace' },
                    spans: ss.map((s) => ({
                        traceId: b64(s.traceId),
                        spanId: b64(s.spanId),
                        parentSpanId: b64(s.parentSpanId),
                        name: s.name,
                        kind: s.kind === 2 ? 'SPAN_KIND_SERVER' : s.kind === 3 ? 'SPAN_KIND_CLIENT' : 'SPAN_KIND_INTERNAL',
                        startTimeUnixNano: s.startNs,
                        endTimeUnixNano: s.endNs,
                        attributes: kv(s.attributes),
                        events: s.events.map((e) => ({ name: e.name, timeUnixNano: s.endNs, attributes: kv(e.attributes) })),
                        status: s.status === 2 ? { code: 'STATUS_CODE_ERROR' } : {},
                    })),
                },
            ],
        })),
    };
}
t.before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-backend-'));
    receiver = await new OtlpReceiver().up();
    backend = Fastify();
    backend.get('/api/traces/:id', async (req, reply) => {
        const spans = receiver.spans.filter((s) => s.traceId === req.params.id);
        if (spans.length === 0)
            return reply.code(404).send({ errors: [{ code: 404, msg: 'trace not found' }] });
        return style === 'jaeger' ? jaeger(spans) : tempo(spans);
    });
    await backend.listen({ host: '127.0.0.1', port: 0 });
    // What the agent would have exported: the lab's nginx logs, backfilled with export on.
    const child = spawn(process.execPath, [
        CLI,
        'ingest',
        '--db',
        path.join(dir, 'i.db'),
        '--otlp-endpoint',
        receiver.url,
        '--otlp-protocol',
        'http/json',
        '--region',
        'us-east',
        fixture('nginx', 'claw_json.log'),
        fixture('nginx', 'error.log'),
    ], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
});
t.after(async () => {
    await backend.close();
    await receiver.down();
    rmSync(dir, { recursive: true, force: true });
});
/** The CLI as a child, asynchronously: the stand-in backend answers from this process's event loop. */
function cli(args) {
    return new Promise((resolve) => {
        const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d) => {
            stdout += d;
        });
        c.stderr.on('data', (d) => {
            stderr += d;
        });
        c.on('close', (status) => resolve({ status, stdout, stderr }));
    });
}
const url = () => `http://127.0.0.1:${backend.server.address().port}`;
for (const s of ['jaeger', 'tempo']) {
    t(`${s}: the exported trace of a request ID, with its diagnosis and evidence, without any index`, async () => {
        style = s;
        assert.ok(receiver.spans.length > 0, 'spans were exported');
        const r = await cli([
            '0a251a1eb55548acadd21e5ddb31ab82',
            '--otlp-backend',
            url(),
            '--json',
            '--db',
            path.join(dir, 'none.db'),
        ]);
        assert.is(r.status, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        assert.is(j.traceId, '0a251a1eb55548acadd21e5ddb31ab82');
        assert.equal(j.spans.filter((x) => x.kind === 'SERVER').map((x) => [x.service, x.region, x.status, x.name]), [['nginx', 'us-east', 502, 'GET /refused']]);
        assert.ok(j.spans.some((x) => x.kind === 'CLIENT'), 'the upstream attempt');
        assert.ok(!j.spans.some((x) => x.name.startsWith('upstream connect')), 'phase spans fold back into their attempt');
        assert.is(j.diagnosis.causes[0]?.id, 'upstream-refused');
        assert.ok(j.diagnosis.causes[0].evidence.some((e) => e.text.includes('Connection refused')), 'the error line, from the span event');
        const text = await cli(['0a251a1eb55548acadd21e5ddb31ab82', '--otlp-backend', url()]);
        assert.match(text.stdout, /GET \/refused 502[\s\S]*cause\s+upstream-refused/);
    });
}
t('an ID the backend does not have, or a backend that does not answer: exit 1 with the reason', async () => {
    const r = await cli(['no-such-request', '--otlp-backend', url()]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /has no trace for request no-such-request/);
    const [port] = await freePorts(1);
    const dead = await cli(['x', '--otlp-backend', `http://127.0.0.1:${port}`]);
    assert.is(dead.status, 1);
    assert.match(dead.stderr, /did not answer: ECONNREFUSED/);
});
t.run();
//# sourceMappingURL=backendLookup.test.js.map