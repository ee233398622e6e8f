import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex, storedLines } from '../src/store/recordIndex.js';
import { applyRetention, usedBytes } from '../src/store/retention.js';

const t = suite('retention');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-ret-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

/** JSON access lines one minute apart, starting at `t0`. */
function jsonLines(n: number, t0: number): string {
  return `${Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      msec: ((t0 + i * 60_000) / 1000).toFixed(3),
      status: '200',
      request: `GET /r/${i} HTTP/1.1`,
      req_id: `id-${i}`,
      pad: 'p'.repeat(200),
    }),
  ).join('\n')}\n`;
}

t(
  'by age: older lines go in chunks (whole blocks), newer stay, the checkpoint stays (nothing is read again)',
  async () => {
    const t0 = Date.UTC(2026, 10, 1);
    const log = path.join(dir, 'a.log');
    writeFileSync(log, jsonLines(1000, t0));
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    await intakeFile(idx, log, { format: 'nginx-json' });
    const r = await applyRetention(idx, { maxAgeMs: 400 * 60_000, chunkRows: 50 }, t0 + 999 * 60_000);
    // The cutoff is minute 999 - 400 = 599: minutes 0..598 go, in whole blocks (these plain 200s
    // live in their blocks alone; a block spans at most a minute): the block that holds minute
    // 599 keeps its older line.
    const kept = 1000 - r.deleted;
    assert.ok(r.deleted >= 598 && r.deleted <= 599, `deleted ${r.deleted}`);
    assert.is(
      idx.db
        .prepare('SELECT count(*) FROM blocks WHERE max_time < ?')
        .pluck()
        .get(t0 + 599 * 60_000),
      0,
      'no block all older than the cutoff is left',
    );
    assert.is(idx.counts().records, kept);
    assert.is((await intakeFile(idx, log)).records, 0, 'not read again');
    // Every line from minute 599 on is kept, and reads from its block.
    assert.is(idx.search({ from: t0 + 599 * 60_000, to: Number.MAX_SAFE_INTEGER, limit: 1000 }).length, 401);
    const left = idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 });
    assert.is(left.length, kept);
    assert.ok(
      left.every((r) => r.raw.includes(`"req_id":"id-${r.line_no - 1}"`)),
      'each line from its block',
    );
    idx.close();
  },
);

t(
  'lines older than what a prune kept, taken in afterwards (a late backfill of archives), keep their blocks through the next prune',
  async () => {
    const t0 = Date.UTC(2026, 10, 1);
    const recent = path.join(dir, 'recent.log');
    writeFileSync(recent, jsonLines(300, t0 + 1000 * 60_000));
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    await intakeFile(idx, recent, { format: 'nginx-json' });
    await applyRetention(idx, { maxAgeMs: 200 * 60_000 }, t0 + 1300 * 60_000);
    const kept = idx.counts().records;
    assert.ok(kept >= 200 && kept < 200 + 64, `kept ${kept}`);
    // Another connection takes in older lines (an archive found late): older than everything kept.
    const other = new RecordIndex(path.join(dir, 'i.db'));
    const archive = path.join(dir, 'archive.log');
    writeFileSync(archive, jsonLines(50, t0).replaceAll('"id-', '"old-'));
    await intakeFile(other, archive, { format: 'nginx-json' });
    other.close();
    // A prune that deletes no line must not take their blocks either.
    await applyRetention(idx, { maxBytes: Number.MAX_SAFE_INTEGER });
    const lines = idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 });
    assert.is(lines.length, kept + 50);
    assert.equal(
      lines.filter((r) => r.raw === '').map((r) => r.line_no),
      [],
      'every line still reads from its block',
    );
    idx.close();
  },
);

t('by size: the oldest go until the used pages fit; freed pages go back to the file system', async () => {
  const log = path.join(dir, 'a.log');
  writeFileSync(log, jsonLines(20_000, Date.UTC(2026, 10, 1)));
  const file = path.join(dir, 'i.db');
  const idx = new RecordIndex(file);
  await intakeFile(idx, log, { format: 'nginx-json' });
  idx.db.pragma('wal_checkpoint(TRUNCATE)');
  const before = statSync(file).size;
  const target = Math.floor(usedBytes(idx) / 3);
  const r = await applyRetention(idx, { maxBytes: target, chunkRows: 1000 });
  assert.ok(usedBytes(idx) <= target, `${usedBytes(idx)} <= ${target}`);
  assert.ok(r.deleted > 10_000 && r.deleted < 20_000, `deleted ${r.deleted}`);
  assert.ok(storedLines(idx.db).at(-1)?.includes('"req_id":"id-19999"'), 'the newest are kept');
  idx.db.pragma('wal_checkpoint(TRUNCATE)');
  assert.ok(statSync(file).size < before * 0.6, `the file shrank (${before} -> ${statSync(file).size})`);
  assert.ok(r.longestPauseMs < 500, `no long pause (${r.longestPauseMs.toFixed(1)} ms)`);
  idx.close();
});

t.run();
