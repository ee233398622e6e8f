/**
 * Raw lines in compressed blocks (schema 5, src/store/lineBlocks.ts): every stored line comes
 * back byte for byte, found by its offset (never by position), and the index of a realistic
 * claw_json log is smaller than the log (the README's "index <= 1.0x the log" claim).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LogRecord } from '../parsers/index.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { BLOCK_LINES, blockPayload, blocksOf, decodeBlock, encodeBlock, isRowless } from '../src/store/lineBlocks.js';
import { RecordIndex, storedLines } from '../src/store/recordIndex.js';
import { rehydrate } from '../src/store/rehydrate.js';
import { prng } from './helpers.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('lineBlocks');
const dir = tempDirEach(t, 'blocks');

t('a block gives back each line by its offset, whatever the line holds', () => {
  const raws = [
    'plain',
    'ünïcödé ✓ 𝄞',
    'replacement \uFFFD char',
    '"quotes" and \\ and \t tab',
    'x'.repeat(70_000),
    '',
  ];
  const lines = raws.map((raw, i) => ({
    offset: 1000 + i * 100_000,
    time: i,
    raw,
    lineNo: 10 + i * 3,
    rowless: i % 3 === 1,
  }));
  const b = decodeBlock((7n << 40n) | 1000n, (7n << 40n) | 501_000n, encodeBlock(lines), 10);
  assert.equal(b.lines, raws);
  assert.equal([...b.offsets], [0, 100_000, 200_000, 300_000, 400_000, 500_000]);
  assert.equal([...b.lineNos!], [10, 13, 16, 19, 22, 25]);
  assert.equal(
    raws.map((_, i) => isRowless(b, i)),
    [false, true, false, false, true, false],
  );
});

t('blocks encoded one after another through one reused payload buffer each decode to their own lines', () => {
  const block = (n: number, len: number, c: string) =>
    Array.from({ length: n }, (_, i) => ({
      offset: i * (len + 1),
      time: i,
      raw: `${c}${i} ${'é'.repeat(i % 3)}${c.repeat(len)}`,
      lineNo: i + 1,
      rowless: i % 2 === 0,
    }));
  const blocks = [
    block(64, 900, 'a'),
    block(3, 10, 'b'),
    block(64, 2_000, 'c'),
    block(1, 300_000, 'd'),
    block(5, 5, 'e'),
  ];
  const encoded = blocks.map((b) => encodeBlock(b));
  blocks.forEach((b, i) => {
    const last = b[b.length - 1]!.offset;
    const d = decodeBlock(1n << 40n, (1n << 40n) | BigInt(last), encoded[i]!, 1);
    assert.equal(
      d.lines,
      b.map((l) => l.raw),
      `block ${i}`,
    );
    assert.equal(
      b.map((_, k) => isRowless(d, k)),
      b.map((l) => l.rowless),
    );
  });
  // The payloads themselves: one buffer reused for the agent's blocks, one of its own otherwise.
  const p1 = blockPayload(blocks[0]!, true);
  assert.is(blockPayload(blocks[1]!, true).buffer, p1.buffer, 'reused');
  assert.is.not(blockPayload(blocks[1]!).buffer, p1.buffer, 'its own');
});

t('a commit is cut into blocks of at most BLOCK_LINES lines, long lines into smaller ones', () => {
  const mk = (n: number, len: number) =>
    Array.from({ length: n }, (_, i) => ({
      offset: i * (len + 1),
      time: i,
      raw: 'a'.repeat(len),
      lineNo: i + 1,
      rowless: false,
    }));
  assert.equal(
    [...blocksOf(mk(BLOCK_LINES * 2 + 1, 10))].map((b) => b.length),
    [BLOCK_LINES, BLOCK_LINES, 1],
  );
  // 100 KB lines: a block holds what fits in 256 KB (and always at least one line).
  assert.equal(
    [...blocksOf(mk(5, 100_000))].map((b) => b.length),
    [2, 2, 1],
  );
  assert.equal(
    [...blocksOf(mk(2, 600_000))].map((b) => b.length),
    [1, 1],
  );
  // Lines 5 GB apart (a skipped over-long line between them): offsets from a block's first line fit 32 bits.
  const far = [
    { offset: 0, time: 0, raw: 'a', lineNo: 1, rowless: false },
    { offset: 5_000_000_000, time: 1, raw: 'b', lineNo: 2, rowless: false },
  ];
  assert.equal(
    [...blocksOf(far)].map((b) => b.length),
    [1, 1],
  );
});

t("file ids past 8191 (ids past 2^53): every line comes back, each its own, never a neighbour's", () => {
  const idx = new RecordIndex(path.join(dir(), 'big-ids.db'));
  // File rows are never deleted (a rotation adds one): a long-lived index reaches these ids.
  idx.db
    .prepare(
      `INSERT INTO files (id, path, fp_len, fp_hash, format, updated_at) VALUES (20000, '/x.log', 1, 'h', 'nginx-json', 0)`,
    )
    .run();
  // Lines two bytes apart (as if the file's offsets were that close): neighbours' ids differ by 2.
  const raw = (i: number) =>
    JSON.stringify({
      msec: (1_790_000_000 + i).toFixed(3),
      status: '200',
      request: 'GET / HTTP/1.1',
      req_id: `req${i}`,
    });
  const lines = Array.from({ length: 10 }, (_, i) => {
    const r = new LogRecord('nginx-access', 1_790_000_000_000 + i * 1000);
    Object.assign(r, { requestId: `req${i}`, offset: i * 2, lineNo: i + 1 });
    return { record: r, raw: raw(i) };
  });
  idx.commitBatch(20000, lines, [], { offset: 20, lineNo: 10, linesCut: 0 });
  for (let i = 0; i < 10; i++)
    assert.equal(
      idx.byRequestId(`req${i}`).map((r) => r.raw),
      [raw(i)],
      `req${i}`,
    );
  assert.equal(
    storedLines(idx.db),
    lines.map((l) => l.raw),
  );
  // The joins tell lines apart by their row id: exact, so neighbours two bytes apart differ.
  const ids = rehydrate(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER })).map((r) => r.rowId);
  assert.is(new Set(ids).size, 10);
  assert.is(ids[1], (20000n << 40n) | 2n);
  idx.close();
});

t('a row whose offset its block does not hold gets nothing, not another line', () => {
  const idx = new RecordIndex(path.join(dir(), 'holes.db'));
  const f = idx.addFile({
    path: '/y.log',
    dev: 1,
    ino: 1,
    fpLen: 1,
    fpHash: 'h',
    format: 'nginx-json',
    region: null,
    options: {},
  });
  const at = (offset: number, lineNo: number) => {
    const r = new LogRecord('nginx-access', 1_790_000_000_000);
    Object.assign(r, { offset, lineNo });
    return { record: r, raw: `line at ${offset}` };
  };
  idx.commitBatch(f.id, [at(0, 1), at(10, 2)], [], { offset: 20, lineNo: 2, linesCut: 0 });
  // A row at offset 5, inside the block's range (0..10), stored without its line (as no commit would).
  idx.db
    .prepare(`INSERT INTO records (id, line_no, time, source, raw) VALUES (?, 2, 1790000000001, 'nginx-access', '')`)
    .run((BigInt(f.id) << 40n) | 5n);
  assert.equal(storedLines(idx.db), ['line at 0', '', 'line at 10']);
  idx.close();
});

/** claw_json lines as real nginx writes them (fixtures/nginx/claw_json.log), with the fields that vary between requests random. */
function realisticLines(n: number): string[] {
  const template = JSON.parse(readFileSync(path.resolve('fixtures/nginx/claw_json.log'), 'utf8').split('\n')[1]!);
  const rnd = prng(14);
  const out: string[] = [];
  let ms = Date.UTC(2026, 10, 22, 14, 0, 0);
  for (let i = 0; i < n; i++) {
    ms += Math.floor(rnd() * 20);
    const id = randomBytes(16).toString('hex');
    const status = rnd() < 0.05 ? '502' : rnd() < 0.1 ? '101' : '200';
    out.push(
      JSON.stringify({
        ...template,
        ts: new Date(ms).toISOString().replace(/\.\d+Z$/, '+00:00'),
        msec: (ms / 1000).toFixed(3),
        req_id: id,
        nginx_request_id: id,
        inbound_request_id: rnd() < 0.2 ? randomBytes(8).toString('hex') : '',
        connection: String(1000 + i),
        remote_port: String(1024 + Math.floor(rnd() * 60_000)),
        request: `GET /api/v1/sessions/${randomBytes(6).toString('hex')} HTTP/1.1`,
        uri: `/api/v1/sessions/${randomBytes(6).toString('hex')}`,
        status,
        upstream_status: status,
        body_bytes_sent: String(Math.floor(rnd() * 100_000)),
        bytes_sent: String(Math.floor(rnd() * 100_000)),
        request_time: (rnd() * 2).toFixed(3),
        upstream_response_time: (rnd() * 2).toFixed(3),
        upstream_header_time: (rnd() * 2).toFixed(3),
        traceparent: rnd() < 0.3 ? `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` : '',
      }),
    );
  }
  return out;
}

t('every indexed line comes back from its block byte for byte; the index is smaller than the log', async () => {
  const lines = realisticLines(20_000);
  const log = path.join(dir(), 'access.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  const file = path.join(dir(), 'i.db');
  const idx = new RecordIndex(file);
  const r = await intakeFile(idx, log, { format: 'nginx-claw_json', final: true });
  assert.is(r.records, 20_000);
  assert.is(idx.db.prepare(`SELECT count(*) FROM records WHERE raw <> ''`).pluck().get(), 0, 'no line inline');
  const text = readFileSync(log, 'utf8');
  const got = idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100_000 });
  assert.is(got.length, 20_000);
  for (const row of got) {
    const at = Number(row.offset);
    assert.is(row.raw, text.slice(at, text.indexOf('\n', at)), `line at ${at}`);
  }
  // A lookup by ID reads its line from a block a fresh connection has never seen.
  const reader = new RecordIndex(file);
  const k = 12_345;
  const id = (JSON.parse(lines[k]!) as { req_id: string }).req_id;
  assert.equal(
    reader.byRequestId(id).map((x) => x.raw),
    [lines[k]],
  );
  reader.close();
  idx.db.pragma('wal_checkpoint(TRUNCATE)');
  const ratio = statSync(file).size / statSync(log).size;
  idx.close();
  if (process.env.SHOW_RATIO) console.log(`index ${ratio.toFixed(3)}x the log`);
  assert.ok(ratio <= 1.0, `index ${ratio.toFixed(2)}x the log`);
});

t.run();
