/**
 * One contract for the trace JSON (src/correlate/traceJson.ts): what a lookup makes fits its
 * schema, the API's 200 response schema drops nothing of it, and answers that do not fit it
 * (another agent's, a Jaeger's or Tempo's) are refused with a reason that names who answered,
 * never a crash.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { askAgents } from '../src/cli/remoteLookup.js';
import { assembleTrace } from '../src/correlate/assemble.js';
import { spansFromBackend } from '../src/correlate/backendTrace.js';
import { mergeTraces } from '../src/correlate/merge.js';
import { traceJson } from '../src/correlate/traceJson.js';
import { type TraceJson, TraceJsonSchema } from '../src/correlate/traceSchema.js';
import { diagnose } from '../src/diagnose/diagnose.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { checker } from '../src/util/schema.js';
import { fixture, REPO } from './helpers.js';

const t = suite('trace contract');
const CLI = path.join(REPO, 'dist/src/cli/main.js');
const ID = '0a251a1eb55548acadd21e5ddb31ab82'; // a 502 (upstream refused) in the nginx fixtures
let dir = '';
let json: TraceJson;

t.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-contract-'));
  const index = new RecordIndex(path.join(dir, 'i.db'));
  try {
    for (const f of [fixture('nginx', 'claw_json.log'), fixture('nginx', 'error.log')])
      await intakeFile(index, f, { zone: 'UTC', region: 'us-east' });
    const trace = assembleTrace(index, ID);
    assert.ok(trace, 'the fixture request is indexed');
    json = traceJson(trace, diagnose(trace, index));
  } finally {
    index.close();
  }
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in agent on 127.0.0.1 that answers every request with `body`. */
async function standIn(body: string | Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    c.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

t("a lookup's trace JSON fits the schema, and a changed one does not", () => {
  const check = checker(TraceJsonSchema);
  const ok = check(JSON.parse(JSON.stringify(json)));
  assert.ok(ok.ok, ok.ok ? '' : ok.why);
  assert.ok(json.diagnosis.causes.length > 0 && json.spans.length > 1);
  const broken = JSON.parse(JSON.stringify(json)) as { spans: { start: unknown }[] };
  broken.spans[0]!.start = 'soon';
  const no = check(broken);
  assert.not.ok(no.ok);
  assert.match(no.ok ? '' : no.why, '/spans/0/start');
});

t(
  "the API's 200 schema serializes every field of the trace JSON (fast-json-stringify drops what a schema does not name)",
  async () => {
    const app = Fastify();
    app.get('/t', { schema: { response: { 200: TraceJsonSchema } } }, async () => json);
    const res = await app.inject('/t');
    await app.close();
    assert.equal(JSON.parse(res.body), JSON.parse(JSON.stringify(json)));
  },
);

t('a valid answer merges; hostile answers from an agent are refused with the agent named and the reason', async () => {
  const good = await standIn(JSON.stringify(json));
  const hostile = await Promise.all(
    [
      'not json at all',
      '[1, 2, 3]',
      JSON.stringify({ ...json, spans: 'many' }),
      JSON.stringify({
        ...json,
        spans: [{ ...json.spans[0], events: [{ time: 1, name: 'x', join: { tier: 9, how: '', confidence: 1 } }] }],
      }),
      '['.repeat(100_000),
      Buffer.alloc(2048, 0x20),
    ].map(standIn),
  );
  try {
    const answers = await askAgents([good.url, ...hostile.map((h) => h.url)], ID, 5000, undefined);
    assert.is(answers[0]!.error, undefined);
    assert.ok(answers[0]!.trace);
    assert.is(mergeTraces([answers[0]!.trace!]).trace.spans.length, json.spans.length);
    const why = answers.slice(1).map((a) => a.error ?? '');
    assert.ok(
      answers.slice(1).every((a) => a.refused === true && a.trace === undefined),
      why.join('\n'),
    );
    assert.match(why[0]!, 'not JSON');
    assert.match(why[1]!, "not claw-trace's trace JSON");
    assert.match(why[2]!, '/spans');
    assert.match(why[3]!, '/spans/0/events/0');
    assert.match(why[4]!, /not JSON|not claw-trace's trace JSON/);
    const [big] = await askAgents([hostile[5]!.url], ID, 5000, undefined, 1024);
    assert.match(big!.error ?? '', 'more than the 1024 bytes');
    // Through the command: exit 1, one line per agent, no stack trace.
    const r = await cli([ID, '--agent', hostile[2]!.url, '--agent', hostile[0]!.url]);
    assert.is(r.status, 1);
    assert.match(
      r.stderr,
      `agent ${hostile[2]!.url} answered, and its answer is left out: the answer is not claw-trace's trace JSON: /spans`,
    );
    assert.match(r.stderr, `agent ${hostile[0]!.url} answered, and its answer is left out: the answer is not JSON`);
    assert.not.match(r.stderr, /\n\s+at /);
    const mixed = await cli([ID, '--json', '--agent', good.url, '--agent', hostile[1]!.url]);
    assert.is(mixed.status, 0, mixed.stderr);
    assert.equal(
      (JSON.parse(mixed.stdout) as { agents: { found: boolean }[] }).agents.map((a) => a.found),
      [true, false],
    );
  } finally {
    await good.close();
    for (const h of hostile) await h.close();
  }
});

t(
  'Jaeger and Tempo answers that fit neither schema: an error saying which part, through the command exit 1',
  async () => {
    assert.throws(
      () => spansFromBackend({ data: [{ spans: [{ spanID: 'a' }], processes: {} }] }),
      /neither Jaeger JSON nor OTLP JSON \(as Jaeger JSON: \/data\/0\/spans\/0/,
    );
    assert.throws(
      () =>
        spansFromBackend({
          batches: [
            { scopeSpans: [{ spans: [{ spanId: 'ab', name: 'x', startTimeUnixNano: 'soon', endTimeUnixNano: '1' }] }] },
          ],
        }),
      /as OTLP JSON/,
    );
    assert.throws(() => spansFromBackend('hello'), /neither Jaeger JSON nor OTLP JSON/);
    assert.is(spansFromBackend({ resourceSpans: [] }).length, 0);
    const bad = await standIn(JSON.stringify({ data: [{ spans: [{ spanID: 7 }] }] }));
    try {
      const r = await cli([ID, '--otlp-backend', bad.url]);
      assert.is(r.status, 1);
      assert.match(r.stderr, `${bad.url} did not answer: the backend answered neither Jaeger JSON nor OTLP JSON`);
      assert.not.match(r.stderr, /\n\s+at /);
    } finally {
      await bad.close();
    }
  },
);

t.run();
