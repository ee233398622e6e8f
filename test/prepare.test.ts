/**
 * A commit's writes prepared off the writing thread (src/store/prepare.ts, a backfill's parse
 * thread): cloned across threads as the worker posts them, with their blocks compressed there or
 * left to the writer, and several batches in one transaction, they store exactly what the
 * one-thread path stores, table by table.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type LogRecord, parserFor } from '../parsers/index.js';
import { compressBlocks } from '../src/store/lineBlocks.js';
import { type BatchLine, prepareCommit, transferables } from '../src/store/prepare.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { fixture, idEntries } from './helpers.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('prepare');
const dir = tempDirEach(t, 'prepare');

/** Real lines of three formats, each with its offset and line number (plus hostile ones). */
function batches(): { format: string; lines: BatchLine[] }[] {
  const read = (format: string, file: string, extra: string[] = []) => {
    const parse = parserFor(format, '{}');
    const raws = [...readFileSync(file, 'utf8').split('\n').filter(Boolean), ...extra];
    const lines: BatchLine[] = [];
    let offset = 0;
    raws.forEach((raw, i) => {
      const r = parse(raw);
      if (!('error' in r)) {
        const rec = r as LogRecord;
        rec.offset = offset;
        rec.lineNo = i + 1;
        lines.push({ record: rec, raw });
      }
      offset += Buffer.byteLength(raw) + 1;
    });
    return { format, lines };
  };
  const json = readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n').filter(Boolean);
  // A request ID past the stored limit, non-ASCII in the line, a WebSocket upgrade.
  const hostile = json
    .slice(0, 3)
    .map((l, i) =>
      l
        .replace(/"req_id":"[^"]*"/, `"req_id":"${i === 0 ? 'x'.repeat(400) : `é-${i}-✓`}"`)
        .replace(/"http_upgrade":"[^"]*"/, i === 2 ? '"http_upgrade":"websocket"' : '$&'),
    );
  return [
    read('nginx-claw_json', fixture('nginx', 'claw_json.log'), hostile),
    read('nginx-error', fixture('nginx', 'error.log')),
    read('openclaw', fixture('openclaw', 'openclaw-2026-11-22.log')),
  ];
}

/** Every table the commits write, in a stable order (commit times left out). */
function dump(idx: RecordIndex): Record<string, unknown[]> {
  const all = (sql: string) => idx.db.prepare(sql).safeIntegers().all();
  return {
    records: all(`SELECT * FROM records ORDER BY id`),
    blocks: all(`SELECT * FROM blocks ORDER BY first_id`),
    ids: idEntries(idx.db).map(({ kind, key, record }) => ({ kind, key, record })),
    traffic: all(`SELECT * FROM traffic ORDER BY first_id, second`),
    batches: all(`SELECT first_id, last_id FROM batches ORDER BY seq`),
    files: all(`SELECT id, offset, line_no, lines_cut FROM files ORDER BY id`),
  };
}

t('prepared on another thread, compressed there or by the writer, grouped: the same index as one thread', () => {
  const input = batches();
  for (const b of input) assert.ok(b.lines.length >= 3, `${b.format}: ${b.lines.length} lines read`);
  const single = new RecordIndex(path.join(dir(), 'single.db'));
  const split = new RecordIndex(path.join(dir(), 'split.db'));
  try {
    for (const [k, { format, lines }] of input.entries()) {
      const add = (idx: RecordIndex) =>
        idx.addFile({
          path: `/logs/${format}.log`,
          dev: 1,
          ino: k + 1,
          fpLen: 1,
          fpHash: `h${k}`,
          format,
          region: null,
          options: {},
        });
      const a = add(single);
      const b = add(split);
      assert.is(a.id, b.id);
      // Two batches per file: the one-thread path commits them one by one ...
      const half = Math.ceil(lines.length / 2);
      const parts = [lines.slice(0, half), lines.slice(half)];
      const cp = (part: BatchLine[]) => {
        const last = part[part.length - 1]!.record;
        return { offset: last.offset! + 1, lineNo: last.lineNo!, linesCut: 0 };
      };
      for (const part of parts) single.commitBatch(a.id, part, [], cp(part));
      // ... the parse thread's path prepares them (blocks compressed for the first, left to the
      // writer for the second), clones them as postMessage does, and commits both at once.
      const prepared = parts.map((part, i) => {
        const d = prepareCommit(b.id, part, i === 0);
        return structuredClone(d, { transfer: transferables(d) });
      });
      assert.ok(prepared[0]!.blocks.every((x) => x.data !== undefined && x.payload === undefined));
      assert.ok(prepared[1]!.blocks.every((x) => x.data === undefined && x.payload !== undefined));
      split.commitPrepared(
        b.id,
        prepared.map((d, i) => ({ d, errors: [], cp: cp(parts[i]!) })),
      );
    }
    const want = dump(single);
    assert.ok(
      want.records!.length > 0 &&
        want.ids!.some((e) => (e as { kind: number }).kind === 2) &&
        want.ids!.some((e) => (e as { kind: number }).kind === 0),
      'rows, connections and IDs',
    );
    assert.ok(
      want.ids!.some((r) => (r as { key: string }).key.length === 256),
      'the over-long request ID stored cut',
    );
    assert.equal(dump(split), want);
  } finally {
    single.close();
    split.close();
  }
});

t('compressBlocks compresses only the blocks left to it, as the parse thread would have', () => {
  const { lines } = batches()[0]!;
  const left = prepareCommit(1, lines, false);
  const done = prepareCommit(1, lines, true);
  compressBlocks(left.blocks);
  assert.equal(
    left.blocks.map((b) => Buffer.from(b.data!).toString('base64')),
    done.blocks.map((b) => Buffer.from(b.data!).toString('base64')),
  );
  assert.ok(left.blocks.every((b) => b.payload === undefined));
});

t.run();
