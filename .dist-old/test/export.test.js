/**
 * Spans of an assembled trace through the real OTLP/HTTP exporter
 * (@opentelemetry/exporter-trace-otlp-http, JSON) to a real HTTP receiver. The receiver (fastify)
 * stands in for the OpenTelemetry Collector, which is not run here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import Fastify from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleTrace } from '../src/correlate/assemble.js';
import { diagnose } from '../src/diagnose/diagnose.js';
import { hrTime, toReadableSpans } from '../src/export/spans.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { rehydrate } from '../src/store/rehydrate.js';
import { fixture } from './helpers.js';
const t = suite('export');
let dir = '';
let receiver;
let received = [];
const attr = (kvs, key) => {
    const v = kvs.find((k) => k.key === key)?.value;
    return v === undefined
        ? undefined
        : (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue);
};
t.before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'claw-export-'));
    receiver = Fastify();
    receiver.post('/v1/traces', async (req) => {
        received.push(req.body);
        return {};
    });
    await receiver.listen({ host: '127.0.0.1', port: 0 });
});
t.after(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
});
t('a diagnosed lab trace arrives with its IDs, log timestamps, HTTP attributes, ERROR status, events and resource', async () => {
    received = [];
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    await intakeFile(idx, fixture('nginx', 'claw_json.log'), { region: 'us-east' });
    await intakeFile(idx, fixture('nginx', 'error.log'), { region: 'us-east', zone: 'UTC' });
    const refused = rehydrate(idx.search({ from: 0, to: 4e12, minStatus: 500 })).find((r) => r.uri === '/refused');
    const trace = assembleTrace(idx, refused.requestId);
    const d = diagnose(trace, idx);
    const spans = toReadableSpans(trace, d, { hostName: 'builder-7', environment: 'prod', version: 'build-42' });
    idx.close();
    const port = receiver.server.address().port;
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
    const code = await new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
    await exporter.shutdown();
    assert.is(code, ExportResultCode.SUCCESS);
    const got = received.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ s, resource: rs.resource })))));
    assert.is(got.length, spans.length, 'every span arrived');
    const server = got.find((g) => g.s.kind === 2); // SPAN_KIND_SERVER
    assert.is(server.s.traceId, trace.traceId, 'the request ID is the trace ID');
    assert.is(server.s.spanId, trace.spans[0].spanId);
    const hop = trace.spans[0];
    assert.is(String(server.s.startTimeUnixNano), String(hrTime(hop.start)[0] * 1e9 + hrTime(hop.start)[1]), "the log's own start time");
    assert.is(String(server.s.endTimeUnixNano), String(BigInt(refused.time) * 1000000n), "end = the access line's $msec");
    assert.is(server.s.status.code, 2, 'status ERROR');
    assert.is(attr(server.s.attributes, 'http.response.status_code'), 502);
    assert.is(attr(server.s.attributes, 'http.request.method'), 'GET');
    assert.is(attr(server.s.attributes, 'url.path'), '/refused');
    assert.is(attr(server.s.attributes, 'claw.diagnosis.cause'), 'upstream-refused');
    assert.is(attr(server.resource.attributes, 'service.name'), 'nginx');
    assert.is(attr(server.resource.attributes, 'cloud.region'), 'us-east');
    assert.is(attr(server.resource.attributes, 'host.name'), 'builder-7');
    assert.is(attr(server.resource.attributes, 'deployment.environment.name'), 'prod');
    assert.is(attr(server.resource.attributes, 'service.version'), 'build-42');
    const attempt = got.find((g) => g.s.kind === 3); // SPAN_KIND_CLIENT
    assert.is(attempt.s.parentSpanId, server.s.spanId);
    assert.is(attr(attempt.s.attributes, 'server.address'), '127.0.0.1');
    assert.ok(attempt.s.events.some((e) => e.name === 'upstream-refused' &&
        String(attr(e.attributes, 'log.record.original')).includes('Connection refused')), 'the error line is an event on the attempt');
});
t('exporting the same trace twice gives the same span IDs (idempotent re-export)', async () => {
    const idx = new RecordIndex(path.join(dir, 'j.db'));
    await intakeFile(idx, fixture('nginx', 'claw_json.log'));
    const id = idx.db.prepare(`SELECT request_id FROM records WHERE status = 504 LIMIT 1`).pluck().get();
    const ids = () => toReadableSpans(assembleTrace(idx, id), diagnose(assembleTrace(idx, id), idx)).map((s) => s.spanContext().spanId);
    assert.equal(ids(), ids());
    assert.is(new Set(ids()).size, ids().length, 'no two spans share an ID');
    idx.close();
});
t.run();
//# sourceMappingURL=export.test.js.map