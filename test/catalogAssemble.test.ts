/**
 * Unit tests of the assembly (src/correlate/assemble.ts) and of the catalog (src/diagnose/
 * catalog.ts) on their own, from stored rows: lines indexed into a temporary index, then the
 * trace and the facts the catalog reads.
 */

import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleTrace, findTrace, resolveRequestId } from '../src/correlate/assemble.js';
import { CAUSES, fits, fromErrors } from '../src/diagnose/catalog.js';
import { factsOf } from '../src/diagnose/facts.js';
import type { RecordIndex } from '../src/store/recordIndex.js';
import { indexLines, nginxErrorLine, nginxJson, T0 } from './support/logLines.js';
import { tempDir } from './support/tempDir.js';

const t = suite('catalog and assemble');
let dir = '';
let idx: RecordIndex;
const sec = (ms: number) => (ms / 1000).toFixed(3);
const refusedLine = nginxErrorLine(
  T0 + 1000,
  'error',
  7,
  'connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: claw, request: "GET /v1/chat HTTP/1.1", upstream: "http://127.0.0.1:18789/v1/chat", host: "claw.example.com"',
);

t.before(async () => {
  dir = tempDir('units');
  idx = await indexLines(dir, {
    'access.log': {
      format: 'nginx-json',
      region: 'us-east',
      lines: [
        nginxJson({
          msec: sec(T0 + 1000),
          request_time: '0.002',
          req_id: 'refused-1',
          connection: '7',
          request_uri: '/v1/chat',
          request: 'GET /v1/chat HTTP/1.1',
          status: '502',
          upstream_addr: '127.0.0.1:18789',
          upstream_status: '502',
          upstream_connect_time: '-',
          upstream_header_time: '-',
          upstream_response_time: '0.001',
        }),
        nginxJson({
          msec: sec(T0 + 2000),
          request_time: '0.004',
          req_id: 'ok-1',
          connection: '8',
          request_uri: '/v1/models',
          request: 'GET /v1/models HTTP/1.1',
          status: '200',
          upstream_addr: '127.0.0.1:18789',
          upstream_status: '200',
          upstream_connect_time: '0.000',
          upstream_header_time: '0.003',
          upstream_response_time: '0.003',
        }),
        nginxJson({
          msec: sec(T0 + 3000),
          request_time: '0.001',
          req_id: 'ok-2',
          connection: '9',
          request_uri: '/',
          request: 'GET / HTTP/1.1',
          status: '200',
        }),
      ],
    },
    'error.log': { format: 'nginx-error', region: 'us-east', lines: [refusedLine] },
  });
});
t.after(() => {
  idx.close();
  rmSync(dir, { recursive: true, force: true });
});

t(
  'assemble: the access line is the hop, its upstream attempt a child, the error line of its connection an event',
  () => {
    const trace = assembleTrace(idx, 'refused-1');
    assert.ok(trace);
    const hop = trace.spans.find((s) => s.kind === 'SERVER');
    const attempt = trace.spans.find((s) => s.kind === 'CLIENT');
    assert.ok(hop && attempt);
    assert.equal([hop.service, hop.status, hop.error, hop.region, hop.join.tier], ['nginx', 502, true, 'us-east', 1]);
    assert.is(attempt.parentSpanId, hop.spanId);
    assert.ok(hop.start <= attempt.start && attempt.end <= hop.end + 1, 'the attempt lies within its hop');
    const events = trace.spans.flatMap((s) => s.events);
    assert.is(events.length, 1);
    assert.ok(events[0]!.join.tier <= 2, 'joined by the connection, not inferred');
    assert.is(events[0]!.record.raw, refusedLine);
    assert.is(trace.traceId.length, 32);
  },
);

t('assemble: a request with no upstream has one span; no line, no trace; IDs by prefix, or ambiguous', () => {
  const plain = assembleTrace(idx, 'ok-2');
  assert.ok(plain);
  assert.equal(
    plain.spans.map((s) => [s.kind, s.status, s.error]),
    [['SERVER', 200, false]],
  );
  assert.is(assembleTrace(idx, 'no-such-id'), undefined);
  assert.equal(resolveRequestId(idx, 'refused-1'), { requestId: 'refused-1' });
  assert.equal(resolveRequestId(idx, 'ref'), { requestId: 'refused-1' });
  assert.equal(resolveRequestId(idx, 'ok-').ambiguous?.sort(), ['ok-1', 'ok-2']);
  assert.equal(resolveRequestId(idx, 'zzz'), {});
});

t('findTrace (the lookup of the CLI and the API): an exact ID read once, else a prefix, ambiguous or missing', () => {
  const exact = findTrace(idx, 'refused-1');
  assert.ok('trace' in exact);
  // The same trace as resolving first, then assembling (what it replaces).
  assert.equal(exact.trace, assembleTrace(idx, 'refused-1'));
  const byPrefix = findTrace(idx, 'ref');
  assert.ok('trace' in byPrefix && byPrefix.trace.traceId === exact.trace.traceId);
  const several = findTrace(idx, 'ok-');
  assert.ok('ambiguous' in several && several.ambiguous.sort().join() === 'ok-1,ok-2');
  assert.equal(findTrace(idx, 'zzz'), { missing: true });
});

t('catalog: every cause has an ID of its own, a title, a fix and a shape it explains', () => {
  const ids = CAUSES.map((c) => c.id);
  assert.is(new Set(ids).size, ids.length, 'IDs are unique');
  for (const c of CAUSES) {
    assert.ok(c.title.length > 10 && c.fix.length > 10, c.id);
    assert.ok(c.fit.length > 0, `${c.id} fits some shape`);
    assert.ok(c.prior > 0 && c.prior <= 1, `${c.id} prior`);
    assert.ok(c.kinds !== undefined || c.test !== undefined, `${c.id} is proven by error kinds or a test`);
    for (const s of c.supersedes ?? []) assert.ok(ids.includes(s), `${c.id} supersedes a known cause (${s})`);
  }
});

t('catalog: the shape rules and the proof by error lines, on the facts of stored requests', () => {
  const refused = factsOf(assembleTrace(idx, 'refused-1')!);
  const ok = factsOf(assembleTrace(idx, 'ok-1')!);
  assert.ok(fits({ status: ['5xx'] }, refused));
  assert.ok(fits({ status: [502] }, refused));
  assert.not.ok(fits({ status: ['2xx'] }, refused));
  assert.not.ok(fits({ status: ['5xx'] }, ok));
  assert.not.ok(fits({ notStatus: [502] }, refused));
  assert.not.ok(fits({ upgrade: true }, refused), 'no WebSocket was asked for');
  const cause = CAUSES.find((c) => c.id === 'upstream-refused');
  assert.ok(cause?.kinds);
  assert.ok(
    cause.fit.some((f) => fits(f, refused)),
    'the refused 502 has the shape of upstream-refused',
  );
  assert.not.ok(
    cause.fit.some((f) => fits(f, ok)),
    'a 200 has not',
  );
  const found = fromErrors(refused, cause.kinds);
  assert.ok(found);
  assert.is(found.basis, 'direct');
  assert.equal(
    found.evidence.map((e) => e.raw),
    [refusedLine],
  );
  assert.is(fromErrors(ok, cause.kinds), undefined, 'no error line, no proof');
  assert.equal(
    cause.test?.(refused)?.evidence.map((e) => e.raw),
    [refusedLine],
  );
});

t.run();
