import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chain,
  fileChunks,
  type Line,
  openLogStream,
  READ_CHUNK_BYTES,
  readLineBatches,
  readLines,
} from '../src/read/lineReader.js';

const t = suite('line reader');

const content = Buffer.concat([
  Buffer.from('first\r\n'),
  Buffer.from('caf'),
  Buffer.from([0xc3, 0xa9, 0xff]),
  Buffer.from('\n'),
  Buffer.from(`${'x'.repeat(300_000)}\n`),
  Buffer.from('\n'),
  Buffer.from('after the long one\n'),
  Buffer.from('half-writ'),
]);

async function collect(stream: AsyncIterable<Buffer>, max = 256 * 1024): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(stream, max)) out.push(l);
  return out;
}

function check(lines: Line[]): void {
  assert.equal(
    lines.map((l) => l.lineNo),
    [1, 2, 3, 4, 5, 6],
  );
  assert.is(lines[0]!.text, 'first', 'CRLF: the CR goes');
  assert.is(lines[1]!.text, 'café\uFFFD');
  assert.ok(lines[1]!.invalidUtf8 && !lines[0]!.invalidUtf8);
  assert.ok(
    lines[2]!.tooLong && lines[2]!.text === '' && lines[2]!.bytes === 300_000,
    'the long line is counted, not held',
  );
  assert.is(lines[3]!.text, '');
  assert.is(lines[4]!.text, 'after the long one', 'the good line after it arrives');
  assert.ok(lines[5]!.partial && lines[5]!.text === 'half-writ');
  for (let i = 0; i + 1 < lines.length; i++) assert.is(lines[i]!.next, lines[i + 1]!.offset, `next of line ${i + 1}`);
  assert.is(lines[lines.length - 1]!.next, content.length);
  for (const l of lines.filter((x) => !x.tooLong && !x.invalidUtf8)) {
    assert.is(
      content.subarray(l.offset, l.offset + Buffer.byteLength(l.text)).toString(),
      l.text,
      `offset of line ${l.lineNo}`,
    );
  }
}

t('lines, offsets, CRLF, invalid UTF-8, an over-long line and a partial last line', async () => {
  check(await collect(Readable.from([content])));
});

t('the same whatever the chunk boundaries (1-byte and 7-byte chunks)', async () => {
  for (const size of [1, 7]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < content.length; i += size) chunks.push(content.subarray(i, i + size));
    check(await collect(Readable.from(chunks)));
  }
});

t('gzip files are read by their magic bytes, offsets in the decompressed stream', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'claw-lines-'));
  try {
    writeFileSync(path.join(dir, 'access.log.2.gz'), gzipSync(content));
    writeFileSync(path.join(dir, 'plain.log'), content);
    check(await collect(await openLogStream(path.join(dir, 'access.log.2.gz'))));
    check(await collect(await openLogStream(path.join(dir, 'plain.log'))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t(
  'a compressed file deleted before it is opened: the read rejects with ENOENT (with .pipe() the process died)',
  async () => {
    // Caddy gzips a rolled file and removes the plain one at once; CI once caught the tailer between the two.
    const s = chain(createReadStream(path.join(tmpdir(), `claw-missing-${process.pid}.gz`)), createGunzip());
    let code = '';
    try {
      for await (const batch of readLineBatches(s)) void batch;
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code ?? '';
    }
    assert.is(code, 'ENOENT');
  },
);

t('openLogStream on a file that is gone: it rejects, and no stream is left behind to fail later', async () => {
  const gone = path.join(tmpdir(), `claw-gone-${process.pid}.log`);
  let code = '';
  await openLogStream(gone).catch((e: NodeJS.ErrnoException) => {
    code = e.code ?? '';
  });
  assert.is(code, 'ENOENT');
  await new Promise((r) => setTimeout(r, 50)); // a stray stream's open would fail (and end the process) about now
});

/** The lines of `bytes` as the reader must give them, made by splitting the whole buffer. */
function expected(bytes: Buffer, max: number): Omit<Line, 'invalidUtf8'>[] {
  const out: Omit<Line, 'invalidUtf8'>[] = [];
  let start = 0;
  for (let no = 1; start < bytes.length; no++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    const body = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    const tooLong = end - start > max;
    out.push({
      text: tooLong ? '' : bytes.subarray(start, body).toString('utf8'),
      offset: start,
      lineNo: no,
      bytes: tooLong ? end - start : body - start,
      next: nl < 0 ? end : nl + 1,
      tooLong,
      partial: nl < 0,
    });
    start = nl < 0 ? end : nl + 1;
  }
  return out;
}

t('ASCII chunks (read without a per-line decode) give the same lines as any other chunking', async () => {
  const max = 64;
  const ascii = Buffer.from(
    `GET /a\x22b\r\n\r\n\n${'y'.repeat(max)}\n${'z'.repeat(max + 1)}\r\nx\r\n${'w'.repeat(200)}\nlast`,
  );
  // The same lines with a non-ASCII one among them: that chunk takes the byte-wise path.
  const mixed = Buffer.concat([ascii.subarray(0, 12), Buffer.from('caf\u00e9\n'), ascii.subarray(12)]);
  for (const bytes of [ascii, mixed]) {
    const want = expected(bytes, max);
    for (const size of [bytes.length, 1, 5, 13, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const got = (await collect(Readable.from(chunks), max)).map(({ invalidUtf8, ...l }) => {
        assert.not.ok(invalidUtf8);
        return l;
      });
      assert.equal(got, want, `chunks of ${size} bytes`);
    }
  }
});

t("a .gz larger than gunzip's chunks reads the same lines as the plain file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'claw-lines-'));
  try {
    const lines: string[] = [];
    for (let i = 0, bytes = 0; bytes < 1_200_000; i++) {
      const l =
        i % 1000 === 7 ? `caf\u00e9 ${i}` : `10.0.0.${i % 250} - - "GET /r/${i} HTTP/1.1" 200 ${i}${i % 3 ? '' : '\r'}`;
      lines.push(l);
      bytes += Buffer.byteLength(l) + 1;
    }
    const bytes = Buffer.from(`${lines.join('\n')}\npartial`);
    writeFileSync(path.join(dir, 'a.log'), bytes);
    writeFileSync(path.join(dir, 'a.log.1.gz'), gzipSync(bytes));
    const plain = await collect(await openLogStream(path.join(dir, 'a.log')));
    assert.equal(plain.length, lines.length + 1);
    assert.equal(await collect(await openLogStream(path.join(dir, 'a.log.1.gz'))), plain);
    const want = expected(bytes, 256 * 1024);
    assert.equal(
      plain.map(({ invalidUtf8, ...l }) => l),
      want,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `bytes` in chunks of `size`, each copied into the same buffer (as `fileChunks` reads them). */
async function* intoOneBuffer(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < bytes.length; i += size) {
    const n = bytes.copy(buf, 0, i, i + size);
    yield buf.subarray(0, n);
    buf.fill(0x21); // what the next read would overwrite
  }
}

t('a source that reads every chunk into the same memory: lines across chunks come out whole', async () => {
  for (const size of [1, 7, 64]) check(await collect(intoOneBuffer(content, size)));
  const mixed = Buffer.from(`caf\u00e9 ${'x'.repeat(100)}\nna\u00efve\r\nplain ascii\n\u00e9t\u00e9`);
  for (const size of [3, 10, 50])
    assert.equal(
      (await collect(intoOneBuffer(mixed, size), 64)).map(({ invalidUtf8, ...l }) => l),
      expected(mixed, 64),
      `chunks of ${size} bytes`,
    );
});

t('fileChunks: a file from any offset, in one read buffer that the next reader takes over', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'claw-lines-'));
  try {
    // ~3 read buffers of lines, a non-ASCII one every so often (the byte-wise path across a chunk's end).
    const lines: string[] = [];
    for (let i = 0, n = 0; n < 3 * READ_CHUNK_BYTES; i++) {
      const l = i % 97 === 0 ? `caf\u00e9 ${i} ${'\u00e9'.repeat(i % 300)}` : `line ${i} ${'y'.repeat(i % 500)}`;
      lines.push(l);
      n += Buffer.byteLength(l) + 1;
    }
    const bytes = Buffer.from(`${lines.join('\n')}\npartial`);
    const file = path.join(dir, 'a.log');
    writeFileSync(file, bytes);
    const fh = await open(file, 'r');
    try {
      const buffers = new Set<ArrayBufferLike>();
      const read = async (start: number) => {
        const out: Line[] = [];
        const chunks = fileChunks(fh, start);
        const seen = (async function* () {
          for await (const c of chunks) {
            buffers.add(c.buffer);
            yield c;
          }
        })();
        for await (const l of readLines(seen)) out.push(l);
        return out.map(({ invalidUtf8, ...l }) => l);
      };
      assert.equal(await read(0), expected(bytes, 256 * 1024));
      const from = bytes.indexOf(0x0a, 200_000) + 1;
      const tail = (await read(from)).map((l) => ({ ...l, offset: l.offset + from, next: l.next + from }));
      assert.equal(
        tail.map(({ lineNo, ...l }) => l),
        expected(bytes, 256 * 1024)
          .filter((l) => l.offset >= from)
          .map(({ lineNo, ...l }) => l),
        'from a line start in the middle',
      );
      assert.is(buffers.size, 1, 'both reads, every chunk: one buffer');
    } finally {
      await fh.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
