/**
 * The ID runs' pages (idPages.ts, idRuns.ts): the order a commit packs is the bytes' order that
 * the readers and merges assume, whatever the keys (non-ASCII, astral, lone surrogates, long,
 * shared heads, repeated; connection numbers out of range); merges of many random commits keep
 * every entry exactly once; lookups agree with a brute-force map.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compareBytes, forEachEntry, PAGE_BYTES, PageWriter, readRecord } from '../src/store/idPages.js';
import { FANOUT } from '../src/store/idRuns.js';
import { prepareCommit, recordId } from '../src/store/prepare.js';
import { radixOrder } from '../src/store/radixOrder.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { addTestFile, idEntries, nginxJsonBatch, prng } from './helpers.js';

const t = suite('idPages');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-idpages-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const ALPHABET = ['a', 'b', 'z', '0', '-', '\u007f', 'é', 'ü', '\u0800', '\uffff', '😀', '𐀀', '\ud800', '\udfff', ' '];

function randomKey(rand: () => number): string {
  const head = rand() < 0.5 ? 'req-aaaaaa' : ''; // many keys share their first 6 bytes
  const n = Math.floor(rand() * (rand() < 0.05 ? 300 : 14));
  let s = head;
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

/** Plain nginx JSON access lines (kept without a row: found through their entries alone). */
const batch = (from: number, keys: string[], conns: number[], times: number[]) =>
  nginxJsonBatch(
    keys.map((key, k) => ({ key, conn: conns[k]!, time: times[k]! })),
    from,
  );

/** Every entry of every page, checked to be in (kind, bytes, record) order. */
function entriesInOrder(pages: { kind: number; data: Uint8Array; n: number }[]): number {
  let prev: { kind: number; data: Uint8Array; keyAt: number; keyLen: number; rec: bigint } | undefined;
  let count = 0;
  for (const p of pages) {
    assert.ok(p.data.length <= PAGE_BYTES + 2 + 1024 + 8, `page of ${p.data.length} bytes`);
    let inPage = 0;
    forEachEntry(p.data, (_at, keyAt, keyLen) => {
      const rec = readRecord(p.data, keyAt + keyLen);
      if (prev !== undefined) {
        const c =
          prev.kind - p.kind ||
          compareBytes(prev.data, prev.keyAt, prev.keyLen, p.data, keyAt, keyLen) ||
          (prev.rec < rec ? -1 : prev.rec > rec ? 1 : 0);
        assert.ok(c < 0, `entry ${count} after its predecessor`);
      }
      prev = { kind: p.kind, data: p.data, keyAt, keyLen, rec };
      inPage++;
      count++;
      return true;
    });
    assert.is(inPage, p.n);
  }
  return count;
}

t('an entry holds its line id as recordId makes it, for any file and offset (no BigInt on the way)', () => {
  const cases: [number, number][] = [
    [1, 0],
    [1, 2 ** 32 - 1],
    [1, 2 ** 32],
    [8191, 2 ** 40 - 1],
    [8192, 12_345],
    [2 ** 20, 2 ** 39 + 2 ** 33 + 7],
  ];
  const w = new PageWriter();
  for (const [f, o] of cases) {
    w.pushString(0, 'k', true, f, o);
    w.pushConn(3, 4, f, o);
  }
  const got: bigint[] = [];
  for (const p of w.finish())
    forEachEntry(p.data, (_at, keyAt, keyLen) => !!got.push(readRecord(p.data, keyAt + keyLen)));
  // Each push changes the kind: a page each, in push order.
  assert.equal(
    got,
    cases.flatMap(([f, o]) => [recordId(f, o), recordId(f, o)]),
  );
});

t("a writer with a sink hands over the same pages, each a view of the writer's one buffer", () => {
  const rand = prng(7);
  const entries = Array.from({ length: 600 }, (_, i) => ({ kind: i < 400 ? 0 : 1, key: randomKey(rand), i }));
  const fill = (w: PageWriter) => {
    for (const e of entries) w.pushString(e.kind, e.key, false, 1, e.i);
  };
  const own = new PageWriter();
  fill(own);
  const want = own.finish();
  const got: { kind: number; n: number; lastKey: number[]; lastRecord: bigint; data: number[] }[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const sunk = new PageWriter((p) => {
    buffers.add(p.data.buffer);
    got.push({ ...p, lastKey: [...p.lastKey], data: [...p.data] }); // copied: the view is reused
  });
  fill(sunk);
  assert.equal(sunk.finish(), []);
  assert.ok(want.length > 3, `${want.length} pages`);
  assert.equal(
    got,
    want.map((p) => ({ ...p, lastKey: [...p.lastKey], data: [...p.data] })),
  );
  assert.is(buffers.size, 1);
});

t('a commit packs its entries in the bytes order, whatever the keys and connection numbers', () => {
  const rand = prng(7);
  for (let round = 0; round < 20; round++) {
    const n = 1 + Math.floor(rand() * 400);
    const keys = Array.from({ length: n }, () => randomKey(rand));
    const conns = keys.map(() => [0, 1, 7, 2 ** 31, 2 ** 40 + 3, Math.floor(rand() * 1e6)][Math.floor(rand() * 6)]!);
    const times = keys.map(
      () => [0, 1_790_000_000_000, 1_790_000_000_000 + Math.floor(rand() * 5000)][Math.floor(rand() * 3)]!,
    );
    const lines = batch(round * 1000, keys, conns, times);
    const d = prepareCommit(3, lines);
    const count = entriesInOrder(d.pages);
    const ids = lines.filter((l) => l.record.requestId !== undefined).length;
    assert.ok(ids > lines.length / 2 && lines.length > n / 2);
    assert.is(count, ids + lines.length, 'a request ID (where the parser sees one) and a connection each line');
  }
});

t('the radix order is the comparator order (ties in index order), for keys anywhere in [0, 2^53)', () => {
  const rand = prng(11);
  const edges = [0, 1, 2047, 2048, 2 ** 22 - 1, 2 ** 22, 2 ** 32 - 1, 2 ** 32, 2 ** 33 + 5, 2 ** 44, 2 ** 53 - 1];
  const pick = (spread: number) =>
    rand() < 0.3 ? edges[Math.floor(rand() * edges.length)]! : Math.floor(rand() * spread);
  for (let round = 0; round < 40; round++) {
    const n = 1 + Math.floor(rand() * 3000);
    const spreadA = [1, 3, 2 ** 20, 2 ** 53][round % 4]!;
    const spreadB = [2 ** 53, 5, 2 ** 40, 2 ** 11][(round >> 2) % 4]!;
    const a = Float64Array.from({ length: n }, () => pick(spreadA));
    const b = Float64Array.from({ length: n }, () => pick(spreadB));
    const want = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[x]! - a[y]! || b[x]! - b[y]! || x - y);
    assert.equal([...radixOrder(a, b, n)], want, `round ${round}: ${n} items`);
  }
});

t('runs merged from random commits: every entry once, every lookup as a brute-force map says', () => {
  const rand = prng(11);
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  const fileId = addTestFile(idx).id;
  const truth = new Map<string, number>();
  let at = 0;
  let withId = 0;
  let committed = 0;
  // Enough commits for merges of two size classes (and a merge left in progress at the end).
  for (let c = 0; c < FANOUT * FANOUT + 5; c++) {
    const n = 1 + Math.floor(rand() * 60);
    const keys = Array.from({ length: n }, () => (rand() < 0.2 && truth.size > 0 ? 'dup-key' : randomKey(rand)));
    const conns = keys.map(() => Math.floor(rand() * 50));
    const times = keys.map((_, k) => 1_790_000_000_000 + (at + k) * 10);
    const lines = batch(at, keys, conns, times);
    committed += lines.length;
    idx.commitBatch(fileId, lines, [], { offset: (at + n) * 1000, lineNo: at + n, linesCut: 0 });
    for (const { record } of lines) {
      if (record.requestId === undefined) continue;
      const key = record.requestId.slice(0, 256);
      truth.set(key, (truth.get(key) ?? 0) + 1);
      withId++;
    }
    at += n;
  }
  const readable = idEntries(idx.db, true);
  assert.is(readable.filter((e) => e.kind === 0).length, withId, 'each request ID entry once among the readable runs');
  assert.is(readable.filter((e) => e.kind === 2).length, committed, 'each connection entry once');
  // Pages of every readable run in order.
  for (const run of idx.db.prepare(`SELECT run FROM id_runs WHERE state = 0`).pluck().all() as number[]) {
    const pages = idx.db
      .prepare(`SELECT kind, n, data FROM id_pages WHERE run = ? ORDER BY kind, last_key, last_record`)
      .all(run) as { kind: number; n: number; data: Uint8Array }[];
    entriesInOrder(pages);
  }
  const keys = [...truth.keys()];
  for (let i = 0; i < 200; i++) {
    const key = keys[Math.floor(rand() * keys.length)]!;
    // Keys are compared as their UTF-8, in which a lone surrogate is U+FFFD (as SQLite compares TEXT).
    const want = [...truth].filter(([k]) => Buffer.from(k).equals(Buffer.from(key))).reduce((s, [, n]) => s + n, 0);
    assert.is(idx.byRequestId(key, 100_000).length, want, `key ${JSON.stringify(key)}`);
  }
  assert.is(idx.byRequestId('never-written').length, 0);
  const withPrefix = [...new Set(keys.filter((k) => k.startsWith('req-aaaaaa')).map((k) => Buffer.from(k).toString()))]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .slice(0, 10);
  assert.equal(idx.requestIdsWithPrefix('req-aaaaaa', 10), withPrefix);
  // Connections: every line of connection 7 in the window.
  const on7 = idx.rowlessOnConnections([7], 0, Number.MAX_SAFE_INTEGER).length;
  assert.is(on7, readable.filter((e) => e.kind === 2 && e.key.startsWith('0000000000000007')).length);
  assert.ok(on7 > 0);
  idx.close();
});

t.run();
