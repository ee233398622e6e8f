/**
 * Schema 6: plain access lines (answered 100-399, not 101, no upgrade asked) keep no records row,
 * only their block. Every reader must still see them exactly as before: by request and trace ID,
 * by prefix, by time window (edges mid-second), counted, in the export's change log, and on a
 * connection an nginx error line names (a 200 whose body was cut). Real parsers, real lines.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { intakeFile } from '../src/intake/intakeFile.js';
import { MAX_BLOCK_SPAN_MS } from '../src/store/lineBlocks.js';
import {
  accessByRegion,
  accessPerMinute,
  changesAfter,
  failureCandidates,
  failureCandidatesUpTo,
  linesOfChange,
  plainSuccesses,
} from '../src/store/queries.js';
import { RecordIndex, storedLineCount, storedLines } from '../src/store/recordIndex.js';
import { rehydrate } from '../src/store/rehydrate.js';
import { applyRetention } from '../src/store/retention.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('rowless');
const dir = tempDirEach(t, 'rowless');

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
/** Line i: 250 ms apart (4 a second), status by i, connection 1000 + i. */
function accessLine(i: number): string {
  const status = i % 10 === 3 ? 502 : i % 10 === 5 ? 101 : 200;
  return JSON.stringify({
    msec: ((T0 + i * 250) / 1000).toFixed(3),
    status: String(status),
    request: `GET /r/${i} HTTP/1.1`,
    req_id: `req-${i}`,
    connection: String(1000 + i),
    // Every 10th asks for a WebSocket and is answered 200 (a failed upgrade can look like that).
    ...(i % 10 === 7 ? { http_upgrade: 'websocket' } : {}),
    ...(i % 10 === 1 ? { http_traceparent: `00-${i.toString(16).padStart(32, '0')}-${'2'.repeat(16)}-01` } : {}),
  });
}
const N = 400;
const plain = (i: number) => i % 10 !== 3 && i % 10 !== 5 && i % 10 !== 7;

async function indexOf(lines: string[], extra?: { name: string; text: string; format: string }): Promise<RecordIndex> {
  const log = path.join(dir(), 'access.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  const idx = new RecordIndex(path.join(dir(), 'i.db'));
  await intakeFile(idx, log, { format: 'nginx-json', region: 'eu' });
  if (extra) {
    const f = path.join(dir(), extra.name);
    writeFileSync(f, extra.text);
    await intakeFile(idx, f, { format: extra.format });
  }
  return idx;
}

t('a plain answer keeps no row, and is found by its IDs, by prefix and by time like one that has', async () => {
  const lines = Array.from({ length: N }, (_, i) => accessLine(i));
  const idx = await indexOf(lines);
  const rows = idx.db.prepare(`SELECT count(*) FROM records`).pluck().get() as number;
  assert.is(rows, Array.from({ length: N }, (_, i) => i).filter((i) => !plain(i)).length, 'rows only for the others');
  assert.is(idx.counts().records, N);
  assert.is(storedLineCount(idx.db), N);
  assert.equal(storedLines(idx.db), lines, 'every line, in file order');

  const [hit] = rehydrate(idx.byRequestId('req-42'));
  assert.ok(hit, 'a plain 200 by request ID');
  assert.is(hit!.raw, lines[42]);
  assert.is(hit!.lineNo, 43);
  assert.is(hit!.time, T0 + 42 * 250);
  assert.is(hit!.region, 'eu');
  assert.is(idx.byRequestId('req-43')[0]?.status, 502, 'one with a row');
  assert.ok(idx.hasRequestId('req-44'));
  assert.not.ok(idx.hasRequestId('req-4000'));
  assert.equal(
    idx.byTraceId((41).toString(16).padStart(32, '0')).map((r) => r.request_id),
    ['req-41'],
  );
  assert.equal(idx.requestIdsWithPrefix('req-39', 5), ['req-39', 'req-390', 'req-391', 'req-392', 'req-393']);

  // By time: the whole window in order, a status filter, a mid-second window.
  const all = idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000 });
  assert.equal(
    all.map((r) => r.raw),
    lines,
  );
  assert.is(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, minStatus: 500, limit: 10_000 }).length, N / 10);
  assert.is(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, status: 200, limit: 10_000 }).length, (N / 10) * 8);
  const from = T0 + 10_130;
  const to = T0 + 20_370;
  const inWindow = lines.filter((_, i) => T0 + i * 250 >= from && T0 + i * 250 < to);
  assert.equal(
    idx.search({ from, to, limit: 10_000 }).map((r) => r.raw),
    inWindow,
  );
  assert.equal(
    idx.search({ from, to, limit: 7 }).map((r) => r.raw),
    inWindow.slice(0, 7),
    'the first 7 by time',
  );
  assert.equal(idx.search({ from, to, limit: 1000, region: 'us' }), [], 'another region');
  // The newest answered ones (status 100..399, rows or not), newest first.
  const okIdx = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 !== 3);
  assert.equal(
    idx.recentSuccesses(0, Number.MAX_SAFE_INTEGER, 12).map((r) => r.raw),
    okIdx
      .slice(-12)
      .reverse()
      .map((i) => lines[i]),
  );
  idx.close();
});

t('counts of a window are exact, its ends in the middle of a second', async () => {
  const lines = Array.from({ length: N }, (_, i) => accessLine(i));
  const idx = await indexOf(lines);
  const times = lines.map((_, i) => T0 + i * 250);
  for (const [from, to] of [
    [T0 + 1_130, T0 + 61_370],
    [T0 + 2_000, T0 + 3_000],
    [T0 + 2_001, T0 + 2_999],
    [T0 + 5_250, T0 + 5_251],
    [0, Number.MAX_SAFE_INTEGER],
  ] as const) {
    const inside = (i: number) => times[i]! >= from && times[i]! < to;
    const ok = times.map((_, i) => i).filter((i) => inside(i) && i % 10 !== 3 && i % 10 !== 5);
    assert.is(plainSuccesses(idx, from, to), ok.length, `answered in [${from - T0}, ${to - T0})`);
    const all = times.map((_, i) => i).filter(inside);
    assert.equal(accessByRegion(idx, from, to), all.length ? [{ region: 'eu', n: all.length }] : []);
    const perMinute = new Map<number, number>();
    for (const i of all)
      perMinute.set(Math.floor(times[i]! / 60_000), (perMinute.get(Math.floor(times[i]! / 60_000)) ?? 0) + 1);
    assert.equal(new Map(accessPerMinute(idx, from, to).map((x) => [x.m, x.n])), perMinute);
  }
  idx.close();
});

t('a 200 on a connection an nginx error line names is a failure candidate; one on another is not', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => accessLine(i));
  const idx = await indexOf(lines, {
    name: 'error.log',
    format: 'nginx-error',
    // Connection 1022 (line 22, a plain 200): its body was cut.
    text: `2026/11/22 10:00:05 [error] 811#811: *1022 upstream prematurely closed connection while reading upstream, client: 127.0.0.1, server: claw, request: "GET /r/22 HTTP/1.1", upstream: "http://127.0.0.1:18789/r/22", host: "claw"\n`,
  });
  const errorTime = idx.window(0, Number.MAX_SAFE_INTEGER, ['nginx-error'])[0]!.time;
  assert.is(errorTime, T0 + 5_000, 'the error line is indexed at its time (UTC)');
  const ids = failureCandidates(idx, { from: T0 - 1000, to: T0 + 3_600_000 }).map((c) => c.requestId);
  assert.ok(ids.includes('req-22'), `the cut 200 is a candidate (${ids.join(' ')})`);
  assert.not.ok(ids.includes('req-21'), 'a 200 on another connection is not');
  assert.ok(ids.includes('req-23'), 'the 502 is');
  assert.is(
    failureCandidates(idx, { from: T0 - 1000, to: T0 + 3_600_000, region: 'us' }).length,
    0,
    'not in another region',
  );
  idx.close();
});

t(
  "failureCandidatesUpTo (the agent's count before diagnosing on its own thread) agrees with failureCandidates",
  async () => {
    const lines = Array.from({ length: 200 }, (_, i) => accessLine(i));
    const idx = await indexOf(lines, {
      name: 'error.log',
      format: 'nginx-error',
      text: `2026/11/22 10:00:05 [error] 811#811: *1022 upstream prematurely closed connection while reading upstream, client: 127.0.0.1, server: claw, request: "GET /r/22 HTTP/1.1", upstream: "http://127.0.0.1:18789/r/22", host: "claw"\n`,
    });
    const windows = [
      { from: T0 - 1000, to: T0 + 3_600_000 }, // every line and the error line's connection
      { from: T0 + 10_000, to: T0 + 3_600_000 }, // after the error line: rows only
      { from: T0 + 30_000, to: T0 + 40_000 },
      { from: T0 + 6000, to: T0 + 6250 }, // one plain 200, the error line near: none
      { from: T0 - 60_000, to: T0 - 1000 }, // nothing
    ];
    const counts: number[] = [];
    for (const w of windows) {
      const n = failureCandidates(idx, w).length;
      counts.push(n);
      for (let max = 0; max <= n + 2; max++) {
        const r = failureCandidatesUpTo(idx, w, max);
        const at = `${n} candidates in ${w.from - T0}..${w.to - T0}, up to ${max}`;
        // Exact while the window's error lines name at most `max` connections (here one); never fewer.
        if (max >= 1) assert.is(r, Math.min(n, max + 1), at);
        else assert.ok(r >= Math.min(n, 1) && r <= 1, at);
      }
    }
    assert.ok(counts[0]! > 2, 'the first window has several');
    assert.is(counts[3], 0, 'the window beside the error line has none');
    idx.close();
  },
);

t('a quiet log: blocks spanning hours are found by a window inside them, from both ends', async () => {
  // Lines 10 minutes apart: one block of 64 spans 10.5 hours.
  const lines = Array.from({ length: 100 }, (_, i) =>
    JSON.stringify({
      msec: ((T0 + i * 600_000) / 1000).toFixed(3),
      status: '200',
      request: 'GET / HTTP/1.1',
      req_id: `q-${i}`,
    }),
  );
  const idx = await indexOf(lines);
  const from = T0 + 30 * 600_000 + 1;
  const to = T0 + 33 * 600_000 + 1;
  assert.equal(
    idx.search({ from, to }).map((r) => r.request_id),
    ['q-31', 'q-32', 'q-33'],
  );
  assert.equal(
    idx.recentSuccesses(from, to, 2).map((r) => r.request_id),
    ['q-33', 'q-32'],
  );
  assert.is(plainSuccesses(idx, from, to), 3);
  idx.close();
});

t('after retention every reader agrees: counts, time, IDs and prefixes hold exactly the lines left', async () => {
  // Lines 350 ms apart: block ends fall mid-second, where a count per second is shared by two blocks.
  const lines = Array.from({ length: 300 }, (_, i) =>
    JSON.stringify({
      msec: ((T0 + i * 350) / 1000).toFixed(3),
      status: i % 10 === 3 ? '502' : '200',
      request: 'GET / HTTP/1.1',
      req_id: `k-${i}`,
    }),
  );
  const idx = await indexOf(lines);
  assert.ok(
    (idx.db.prepare('SELECT max(max_time - min_time) FROM blocks').pluck().get() as number) <= MAX_BLOCK_SPAN_MS,
  );
  await applyRetention(idx, { maxAgeMs: 60_000 }, T0 + 100_000 + 123);
  const left = idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000 }).map((r) => r.request_id!);
  assert.ok(left.length > 0 && left.length < 300, `${left.length} left`);
  assert.is(idx.counts().records, left.length);
  assert.is(storedLineCount(idx.db), left.length);
  assert.is(
    plainSuccesses(idx, 0, Number.MAX_SAFE_INTEGER),
    left.filter((id) => Number(id.slice(2)) % 10 !== 3).length,
  );
  for (let i = 0; i < 300; i++) {
    const id = `k-${i}`;
    const kept = left.includes(id);
    assert.is(idx.byRequestId(id).length, kept ? 1 : 0, id);
    assert.is(idx.hasRequestId(id), kept, id);
    assert.is(idx.requestIdsWithPrefix(id, 1000).includes(id), kept, `${id} by prefix`);
  }
  idx.close();
});

t('a connection number seen again later (a restart, another host) is joined only within the window', async () => {
  const line = (i: number, t: number, conn: number) =>
    JSON.stringify({
      msec: (t / 1000).toFixed(3),
      status: '200',
      request: 'GET / HTTP/1.1',
      req_id: `c-${i}`,
      connection: String(conn),
    });
  // Connection 5 an hour before, in the window, and an hour after; the error names *5 in the window.
  const idx = await indexOf([line(0, T0 - 3_600_000, 5), line(1, T0 + 1000, 5), line(2, T0 + 3_600_000, 5)], {
    name: 'error.log',
    format: 'nginx-error',
    text: `2026/11/22 10:00:01 [error] 811#811: *5 upstream prematurely closed connection while reading upstream, client: 127.0.0.1, server: claw, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:18789/", host: "claw"\n`,
  });
  const errorTime = idx.window(0, Number.MAX_SAFE_INTEGER, ['nginx-error'])[0]!.time;
  const ids = failureCandidates(idx, { from: errorTime - 5000, to: errorTime + 5000 }).map((c) => c.requestId);
  assert.is(errorTime, T0 + 1000);
  assert.ok(ids.includes('c-1'), `in the window (${ids.join(' ')})`);
  assert.not.ok(ids.includes('c-0'));
  assert.not.ok(ids.includes('c-2'));
  idx.close();
});

t("the export's change log gives every line of a batch, rows or not", async () => {
  const lines = Array.from({ length: N }, (_, i) => accessLine(i));
  const idx = await indexOf(lines);
  const got = changesAfter(idx, 0, 1000).flatMap((b) => linesOfChange(idx, b));
  assert.equal(got.map((l) => l.request_id).sort(), lines.map((_, i) => `req-${i}`).sort());
  const l42 = got.find((l) => l.request_id === 'req-42')!;
  assert.equal(l42, { time: T0 + 42 * 250, source: 'nginx-access', request_id: 'req-42', status: 200 });
  idx.close();
});

t.run();
