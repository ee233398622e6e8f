/**
 * The blocks' Brotli (src/store/brotli.ts): one native handle per thread, initialised again per
 * block, makes the same bytes as `brotliCompressSync` with the same parameters, inflates what it
 * makes (and only that: a corrupt block throws, and the next block still works), and does not
 * pile up native memory between major GCs (Node 24 did with a stream object per call).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, constants } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BLOCK_BROTLI_PARAMS,
  brotliPath,
  compressBlockPayload,
  decompressBlock,
  keptBufferBytes,
} from '../src/store/brotli.js';
import { prng } from './helpers.js';

const t = suite('brotli');

const publicBytes = (p: Uint8Array) =>
  brotliCompressSync(p, { params: { ...BLOCK_BROTLI_PARAMS, [constants.BROTLI_PARAM_SIZE_HINT]: p.length } });

/** Log-like text of about `bytes` bytes (repetitive, as a block of one format is). */
function text(bytes: number, seed: number): Buffer {
  const rnd = prng(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = `{"ts":"2026-11-22T00:00:${Math.floor(rnd() * 60)}","req_id":"${Math.floor(rnd() * 1e15).toString(16)}","status":"${rnd() < 0.1 ? 502 : 200}","ua":"Mozilla/5.0 ✓"}\n`;
    parts.push(line);
    n += Buffer.byteLength(line);
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

t('on the Node majors it was tested on (20, 22, 24), blocks go through the reused handle', () => {
  compressBlockPayload(text(5000, 1));
  const major = Number(process.versions.node.split('.')[0]);
  assert.is(brotliPath(), [20, 22, 24].includes(major) ? 'handle' : 'public');
});

t('the same bytes as brotliCompressSync, for text, random bytes, empty and large payloads', () => {
  const rnd = prng(7);
  const payloads = [
    Buffer.alloc(0),
    Buffer.from('x'),
    text(100, 2),
    text(64 * 1024, 3),
    // Larger than the handle's first output buffer (64 KiB) once compressed: random bytes do not shrink.
    randomBytes(200_000),
    text(800_000, 4),
  ];
  for (let i = 0; i < 40; i++) payloads.push(text(Math.floor(rnd() * 150_000), 10 + i));
  for (const p of payloads) {
    const mine = compressBlockPayload(p);
    assert.ok(mine.equals(publicBytes(p)), `payload of ${p.length} bytes`);
    assert.ok(Buffer.from(decompressBlock(mine)).equals(p), `round trip of ${p.length} bytes`);
  }
});

t('a result is a Buffer of its own: the next block does not overwrite it', () => {
  const a = text(30_000, 5);
  const b = text(30_000, 6);
  const ca = compressBlockPayload(a);
  const copy = Buffer.from(ca);
  compressBlockPayload(b);
  assert.ok(ca.equals(copy));
});

t('a block of megabytes is inflated whole, and its buffers are not kept for the thread afterwards', () => {
  const big = randomBytes(5 * 1024 * 1024);
  const packed = compressBlockPayload(big);
  const back = decompressBlock(packed);
  assert.ok(back.equals(big));
  compressBlockPayload(text(1000, 11));
  assert.ok(decompressBlock(compressBlockPayload(text(1000, 12))).equals(text(1000, 12)));
  assert.ok(back.equals(big), 'the large result is its own, not overwritten by the next blocks');
  if (brotliPath() === 'handle') assert.ok(keptBufferBytes() <= 1024 * 1024, `${keptBufferBytes()} bytes kept`);
});

t('a corrupt or cut block throws, and the blocks after it still inflate', () => {
  const good = compressBlockPayload(text(20_000, 8));
  const cut = good.subarray(0, good.length >> 1);
  const flipped = Buffer.from(good);
  flipped[flipped.length >> 1]! ^= 0xff;
  for (const bad of [cut, flipped, Buffer.from('not brotli at all'), randomBytes(5000)]) {
    let threw = false;
    try {
      decompressBlock(bad);
    } catch {
      threw = true;
    }
    // A flipped byte can still make a valid stream by chance; then it must not be the original.
    if (!threw) assert.not.ok(Buffer.from(decompressBlock(bad)).equals(text(20_000, 8)), 'corrupt block read back');
    assert.ok(Buffer.from(decompressBlock(good)).equals(text(20_000, 8)), 'the next block inflates');
  }
  assert.ok(compressBlockPayload(text(1000, 9)).equals(publicBytes(text(1000, 9))), 'and compression goes on');
});

t(
  'a thread that only inflates (a one-shot lookup) uses the public function for its first blocks, then the handle',
  () => {
    const script = `
    const { brotliCompressSync } = await import('node:zlib');
    const { decompressBlock, brotliPath } = await import(${JSON.stringify(new URL('../src/store/brotli.js', import.meta.url).href)});
    const payload = Buffer.from('{"req_id":"abc","status":"502"}\\n'.repeat(500));
    const block = brotliCompressSync(payload);
    const paths = [];
    let same = 0;
    for (let i = 0; i < 20; i++) {
      if (Buffer.from(decompressBlock(block)).equals(payload)) same++;
      paths.push(brotliPath());
    }
    console.log(JSON.stringify({ same, paths }));
  `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const { same, paths } = JSON.parse(r.stdout) as { same: number; paths: string[] };
    assert.is(same, 20);
    assert.equal(paths.slice(0, 16), Array(16).fill('untried'));
    const major = Number(process.versions.node.split('.')[0]);
    assert.is(paths[19], [20, 22, 24].includes(major) ? 'handle' : 'public');
  },
);

t('compressing thousands of blocks does not pile up native memory (Node 24 did: 50+ MB)', () => {
  // In a child, to measure a heap of its own: 3,000 blocks of 64 KiB, external memory sampled.
  const script = `
    const { compressBlockPayload, brotliPath } = await import(${JSON.stringify(new URL('../src/store/brotli.js', import.meta.url).href)});
    const blocks = Array.from({ length: 20 }, (_, i) => Buffer.from(Array.from({ length: 400 }, (_, k) => '{"ts":"2026-11-22T00:00:00","req_id":"' + ((i * 400 + k) * 2654435761 % 4294967296) + '","x":"abcabcabcabcabcabcabcabc"}').join('\\n')));
    let max = 0;
    for (let i = 0; i < 3000; i++) {
      compressBlockPayload(blocks[i % 20]);
      for (let j = 0; j < 100; j++) ({ a: j, b: [j] }); // young garbage, as the agent makes
      if (i % 25 === 0) max = Math.max(max, process.memoryUsage().external);
    }
    console.log(JSON.stringify({ path: brotliPath(), maxExternalMB: max / 1048576 }));
  `;
  const r = spawnSync(process.execPath, ['--max-semi-space-size=4', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { path: string; maxExternalMB: number };
  if (m.path === 'handle') assert.ok(m.maxExternalMB < 16, `external memory reached ${m.maxExternalMB.toFixed(1)} MB`);
});

t.run();
