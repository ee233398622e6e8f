/**
 * The export pipeline end to end: committed lines -> join window -> outbox -> the real OTLP/HTTP
 * exporters (protobuf and JSON) -> a real HTTP receiver (test/otlpReceiver.ts, standing in for
 * the OpenTelemetry Collector, which is not run here). Outage, restart, cap, late lines.
 */

import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { traceIdFor } from '../src/correlate/trace.js';
import { type ExportConfig, ExportConfigError, resolveExport } from '../src/export/config.js';
import { Outbox, openOutboxDatabase } from '../src/export/outbox.js';
import { ExportBusyError, ExportPipeline } from '../src/export/pipeline.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { MAX_REQUEST_ID_CHARS, RecordIndex, storedLineCount } from '../src/store/recordIndex.js';
import { fixture, REPO } from './helpers.js';
import { OtlpReceiver } from './otlpReceiver.js';

const t = suite('export pipeline');
let dir = '';
let receiver: OtlpReceiver;
t.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-export-pipe-'));
  receiver = await new OtlpReceiver().up();
});
t.after(async () => {
  await receiver.down();
  rmSync(dir, { recursive: true, force: true });
});

const TEMPLATE = JSON.parse(readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n')[0]!) as Record<
  string,
  string
>;
/** A claw_json access line as the lab's nginx writes it, with its own request ID and time. */
function accessLine(id: string, sec: number, status = 200): string {
  return JSON.stringify({
    ...TEMPLATE,
    req_id: id,
    nginx_request_id: id,
    inbound_request_id: '',
    msec: sec.toFixed(3),
    status: String(status),
    ts: `${new Date(sec * 1000).toISOString().slice(0, 19)}+00:00`,
    connection: String(Math.floor(sec)),
    upstream_status: String(status),
  });
}

function configFor(extra: Partial<ExportConfig> = {}): ExportConfig {
  const r = resolveExport(
    { endpoint: receiver.url, joinWindowMs: 1 },
    { hostName: 'builder-1', region: 'eu-west' },
    {},
  );
  return { ...r.config!, ...extra };
}

/** Ticks and sends until `done()` or the time is up (the pipeline's own loop, driven by hand). */
async function pump(p: ExportPipeline, done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    while (p.tick()) {
      /* more at once */
    }
    void p.send(); // as the pipeline's loop: ticking goes on while an attempt is under way
    if (done()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

t(
  'ingest exports every backfilled request as a trace, in protobuf and in JSON, with the OTEL_* headers and resource attributes',
  async () => {
    const ids = readFileSync(fixture('nginx', 'claw_json.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { req_id: string }).req_id);
    for (const protocol of ['http/protobuf', 'http/json']) {
      receiver.spans = [];
      const child = spawn(
        process.execPath,
        [
          path.join(REPO, 'dist/src/cli/main.js'),
          'ingest',
          '--db',
          path.join(dir, `ingest-${protocol.slice(5)}.db`),
          '--json',
          '--otlp-protocol',
          protocol,
          fixture('nginx', 'claw_json.log'),
          fixture('nginx', 'error.log'),
        ],
        {
          env: {
            ...process.env,
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
            OTEL_EXPORTER_OTLP_HEADERS: 'x-team=sre',
            OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=claw-eu',
          },
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.is(code, 0);
      const summary = JSON.parse(out) as {
        export: { exportedTraces: number; deliveredSpans: number; waitingSpans: number };
      };
      assert.is(summary.export.waitingSpans, 0, 'ingest waited for the outbox to drain');
      assert.is(summary.export.deliveredSpans, receiver.spans.length);
      assert.ok(receiver.spans.every((s) => s.encoding === (protocol === 'http/json' ? 'json' : 'protobuf')));
      assert.equal(
        [...new Set(receiver.spans.map((s) => s.traceId))].sort(),
        [...new Set(ids.map((id) => traceIdFor(id.slice(0, MAX_REQUEST_ID_CHARS))))].sort(),
        'one trace per request ID, the ID made the trace ID',
      );
      assert.ok(
        [...receiver.counts().values()].every((n) => n === 1),
        'each span once',
      );
      const refused = receiver.spans.find((s) => s.attributes['url.path'] === '/refused' && s.kind === 2)!;
      assert.is(refused.status, 2);
      assert.is(
        refused.attributes['claw.diagnosis.cause'],
        'upstream-refused',
        'diagnosed with the error log ingested after the access log',
      );
      assert.is(refused.resource['deployment.environment.name'], 'prod');
      assert.is(refused.resource['service.name'], 'nginx', 'service.name stays per hop');
      assert.is(
        refused.resource['service.namespace'],
        'claw-eu',
        'OTEL_SERVICE_NAME / service.name from the environment becomes the namespace',
      );
      assert.is(refused.headers['x-team'], 'sre', 'OTEL_EXPORTER_OTLP_HEADERS are sent');
    }
  },
);

t(
  'endpoint down: indexing goes on, the outbox holds the spans across a restart, retries back off, and every span arrives exactly once',
  async () => {
    const db = path.join(dir, 'outage.db');
    const log = path.join(dir, 'outage.log');
    writeFileSync(log, '');
    const idx = new RecordIndex(db);
    const logged: string[] = [];
    // A short POST timeout: the exporter's own retries end within it, then the pipeline backs off.
    let p = new ExportPipeline(db, configFor({ timeoutMs: 800 }), { log: (_l, m) => logged.push(m) });
    const t0 = 1795357000;
    const write = (from: number, n: number) =>
      appendFileSync(
        log,
        `${Array.from({ length: n }, (_, i) =>
          accessLine(`req-${from + i}`, t0 + from + i, (from + i) % 7 === 0 ? 502 : 200),
        ).join('\n')}\n`,
      );

    receiver.spans = [];
    write(0, 20);
    await intakeFile(idx, log);
    await pump(p, () => p.idle(), 5000);
    assert.is(new Set(receiver.spans.map((s) => s.traceId)).size, 20, 'delivered while the endpoint is up');

    await receiver.down();
    write(20, 30);
    await intakeFile(idx, log);
    assert.is(storedLineCount(idx.db), 50, 'indexing goes on');
    await pump(p, () => false, 3000);
    let s = p.stats();
    assert.is(s.traces, 30, 'the 30 new traces wait in the outbox');
    assert.ok(s.failures >= 1 && s.state === 'retrying', 'failed deliveries counted, state retrying');
    assert.ok(s.failures <= 3, `backs off instead of hammering (${s.failures} failed attempts in 3 s)`);
    assert.is(
      logged.filter((m) => m.includes('did not accept')).length,
      1,
      'the outage is said once, not on every retry',
    );

    // A restart in the middle of the outage loses nothing.
    await p.stop();
    write(50, 10);
    await intakeFile(idx, log);
    p = new ExportPipeline(db, configFor({ timeoutMs: 800 }), { log: (_l, m) => logged.push(m) });
    await pump(p, () => p.stats().traces === 40, 2000);
    assert.is(p.stats().traces, 40, 'the outbox survived the restart and took the new lines');

    await receiver.up();
    await pump(p, () => p.idle(), 10_000);
    s = p.stats();
    assert.is(s.traces, 0, 'drained after recovery');
    assert.is(new Set(receiver.spans.map((x) => x.traceId)).size, 60, 'every request arrived');
    const dup = [...receiver.counts()].filter(([, n]) => n !== 1);
    assert.equal(dup, [], 'every span exactly once per ID');
    assert.ok(logged.some((m) => m.includes('accepts spans again')));
    await p.stop();
    idx.close();
  },
);

t('endpoint down: the loop ticks at its interval while it backs off, not every 20 ms', async () => {
  const db = path.join(dir, 'backoff.db');
  const log = path.join(dir, 'backoff.log');
  writeFileSync(log, `${Array.from({ length: 10 }, (_, i) => accessLine(`bo-${i}`, 1795358000 + i)).join('\n')}\n`);
  const idx = new RecordIndex(db);
  await receiver.down();
  try {
    const p = new ExportPipeline(db, configFor({ timeoutMs: 300 }), { startAfter: 0 });
    await intakeFile(idx, log);
    await pump(p, () => p.stats().state === 'retrying', 5000);
    assert.is(p.stats().state, 'retrying', 'the first delivery failed');
    assert.ok(p.stats().traces > 0, 'spans wait in the outbox');
    let ticks = 0;
    const tick = p.tick.bind(p);
    p.tick = () => {
      ticks++;
      return tick();
    };
    const started = Date.now();
    p.start(200);
    await new Promise((r) => setTimeout(r, 1000));
    await p.stop();
    const elapsed = Date.now() - started;
    // One look per 200 ms interval (and one at the start); every 20 ms it was ~50.
    assert.ok(ticks <= Math.ceil(elapsed / 200) + 2, `${ticks} ticks in ${elapsed} ms`);
    assert.ok(ticks >= 2, 'the loop ran');
  } finally {
    await receiver.up();
    idx.close();
  }
});

t('over the outbox cap the oldest traces are dropped and counted; the newest are delivered', async () => {
  const db = path.join(dir, 'cap.db');
  const log = path.join(dir, 'cap.log');
  writeFileSync(log, `${Array.from({ length: 40 }, (_, i) => accessLine(`cap-${i}`, 1795358000 + i)).join('\n')}\n`);
  const idx = new RecordIndex(db);
  const p = new ExportPipeline(db, configFor({ outboxMaxBytes: 20_000 }), { startAfter: 0 });
  await receiver.down();
  receiver.spans = [];
  await intakeFile(idx, log);
  await pump(p, () => false, 300);
  const s = p.stats();
  assert.ok(s.bytes <= 20_000, `outbox within its cap (${s.bytes} bytes)`);
  assert.ok(
    s.droppedTraces > 0 && s.droppedTraces + s.traces === 40,
    `dropped ${s.droppedTraces} + waiting ${s.traces} = 40`,
  );
  assert.ok(s.droppedSpans > 0);
  await receiver.up();
  await pump(p, () => p.idle(), 5000);
  const got = new Set(receiver.spans.map((x) => x.traceId));
  assert.is(got.size, s.traces);
  assert.ok(got.has(traceIdFor('cap-39')) && !got.has(traceIdFor('cap-0')), 'the newest kept, the oldest dropped');
  await p.stop();
  idx.close();
});

t('a late error line re-exports the failed request under the same IDs, now with the evidence', async () => {
  const db = path.join(dir, 'late.db');
  const idx = new RecordIndex(db);
  const p = new ExportPipeline(db, configFor(), { startAfter: 0 });
  receiver.spans = [];
  await intakeFile(idx, fixture('nginx', 'claw_json.log'));
  await pump(p, () => p.idle(), 5000);
  const first = receiver.spans.filter((s) => s.attributes['url.path'] === '/refused' || s.parentSpanId !== undefined);
  const refusedId = receiver.spans.find((s) => s.attributes['url.path'] === '/refused')!.traceId;
  const before = receiver.spans.filter((s) => s.traceId === refusedId);
  assert.ok(before.length > 0 && first.length > 0);
  assert.ok(
    before.every((s) => s.events.length === 0),
    'no error line yet',
  );

  receiver.spans = [];
  await intakeFile(idx, fixture('nginx', 'error.log'), { zone: 'UTC' });
  await pump(p, () => p.idle(), 5000);
  const after = receiver.spans.filter((s) => s.traceId === refusedId);
  assert.equal(
    after.map((s) => s.spanId).sort(),
    before.map((s) => s.spanId).sort(),
    'same span IDs: the backend replaces the spans',
  );
  assert.ok(
    after.some((s) => s.events.some((e) => String(e.attributes['log.record.original']).includes('Connection refused'))),
    'the error line is now an event',
  );
  assert.ok(!receiver.spans.some((s) => s.attributes['url.path'] === '/ok'), 'healthy requests are not re-exported');
  await p.stop();
  idx.close();
});

t(
  'one exporter per index: while another live process exports it, a pipeline refuses and ingest leaves the export to it',
  async () => {
    const db = path.join(dir, 'owned.db');
    new RecordIndex(db).close();
    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const odb = openOutboxDatabase(db);
      odb.prepare(`INSERT INTO export_state (key, value) VALUES ('exporter_pid', ?)`).run(owner.pid);
      odb.close();
      assert.throws(
        () => new ExportPipeline(db, configFor()),
        (e: Error) => e instanceof ExportBusyError && e.message.includes(String(owner.pid)),
      );
      receiver.spans = [];
      const r = spawnSync(
        process.execPath,
        [
          path.join(REPO, 'dist/src/cli/main.js'),
          'ingest',
          '--db',
          db,
          '--otlp-endpoint',
          receiver.url,
          fixture('nginx', 'claw_json.log'),
        ],
        { encoding: 'utf8' },
      );
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`process ${owner.pid} \\(the agent\\) exports this index`));
      assert.is(receiver.spans.length, 0, 'not exported twice');
    } finally {
      owner.kill('SIGKILL');
      await new Promise((r) => owner.on('exit', r));
    }
    // Its owner gone, the export is free again.
    const p = new ExportPipeline(db, configFor());
    await p.stop();
  },
);

t('the outbox filled by one thread and emptied by another: both see the same size', () => {
  const db = path.join(dir, 'shared.db');
  const a = new Outbox(openOutboxDatabase(db), 1e9);
  const b = new Outbox(openOutboxDatabase(db), 1e9);
  a.put([
    { traceId: 't1', spans: 3, data: '{"x":1}' },
    { traceId: 't2', spans: 2, data: '{"x":22}' },
  ]);
  assert.equal([b.stats().traces, b.stats().spans, b.stats().bytes], [2, 5, 15]);
  b.ack(b.take(10));
  assert.equal([a.stats().traces, a.stats().spans, a.stats().bytes], [0, 0, 0]);
  a.put([{ traceId: 't3', spans: 1, data: '{}' }]);
  a.put([{ traceId: 't3', spans: 4, data: '{"y":1}' }]); // re-export replaces
  assert.equal([b.stats().traces, b.stats().spans], [1, 4]);
  a.db.close();
  b.db.close();
});

t('export config: off without an endpoint, the OTEL_* variables, and wrong settings named with the fix', () => {
  assert.match(resolveExport({}, {}, {}).off!, /no OTLP endpoint/);
  assert.is(
    resolveExport({}, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).config!.url,
    'http://c:4318/v1/traces',
  );
  assert.is(
    resolveExport(
      {},
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x' },
    ).config!.url,
    'http://t:1/x',
    'the signal-specific URL is used as is',
  );
  assert.is(
    resolveExport({ endpoint: 'https://mine:4318' }, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config!.url,
    'https://mine:4318/v1/traces',
    'config wins',
  );
  assert.is(resolveExport({}, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config!.protocol, 'http/protobuf');
  assert.is(
    resolveExport({}, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })
      .config!.protocol,
    'http/json',
  );
  assert.throws(
    () => resolveExport({}, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    (e: Error) => e instanceof ExportConfigError && /OTEL_EXPORTER_OTLP_PROTOCOL.*grpc.*4318/.test(e.message),
  );
  assert.throws(
    () => resolveExport({ endpoint: 'collector:4318' }, {}, {}),
    (e: Error) => /export endpoint.*http:\/\//.test(e.message),
  );
  assert.throws(
    () => resolveExport({ endpoint: 'http://c:4318', outboxMaxBytes: -1 }, {}, {}),
    (e: Error) => /outboxMaxBytes/.test(e.message),
  );
});

t.run();
