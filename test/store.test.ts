import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startCheckpointer } from '../src/store/checkpointer.js';
import { IndexOpenError, MAX_REQUEST_ID_CHARS, RecordIndex, storedLines } from '../src/store/recordIndex.js';
import { applyMigration, SCHEMA_VERSION } from '../src/store/schema.js';
import Database from '../src/store/sqlite.js';
import { addTestFile, combinedLine, fixture, idEntries } from './helpers.js';

const REPO_FIXTURES = path.dirname(fixture('x'));

import { type LogRecord, parserFor } from '../parsers/index.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { FANOUT, pickMerge, RUN_CAP, sizeClass } from '../src/store/idRuns.js';
import { applyRetention } from '../src/store/retention.js';

const t = suite('store');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-store-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

t('a new index gets the current schema; reopening keeps it', () => {
  const file = path.join(dir, 'i.db');
  new RecordIndex(file).close();
  const idx = new RecordIndex(file);
  assert.is(
    idx.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get(),
    String(SCHEMA_VERSION),
  );
  assert.is(idx.db.pragma('journal_mode', { simple: true }), 'wal');
  idx.close();
});

t(
  'an index of schema 1 (the first release) is migrated in place: its lines stay, the change log is added',
  async () => {
    const file = path.join(dir, 'v1.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    applyMigration(db, 0);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '1')`).run();
    db.prepare(
      `INSERT INTO files (path, fp_len, fp_hash, format, updated_at) VALUES ('/var/log/nginx/access.log', 0, 'x', 'nginx-combined', 0)`,
    ).run();
    db.close();
    const idx = openMigrated(file);
    assert.is(idx.files().length, 1, 'the old rows are kept');
    assert.match(idx.indexId, /^[0-9a-f]{32}$/);
    await intakeFile(idx, path.join(REPO_FIXTURES, 'nginx', 'combined.log'));
    assert.ok(
      (idx.db.prepare(`SELECT count(*) FROM batches`).pluck().get() as number) > 0,
      'commits are logged for the exporter',
    );
    idx.close();
  },
);

t('a newer schema or a foreign database is refused with a clear message, never touched', () => {
  const newer = path.join(dir, 'newer.db');
  new RecordIndex(newer).close();
  const db = new Database(newer);
  db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
  db.close();
  assert.throws(
    () => new RecordIndex(newer),
    (e: Error) => e instanceof IndexOpenError && /newer claw-trace \(schema 99/.test(e.message),
  );
  const foreign = path.join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE accounts (id INTEGER)');
  f.close();
  const before = readFileSync(foreign);
  assert.throws(() => new RecordIndex(foreign), /not a claw-trace index/);
  assert.ok(readFileSync(foreign).equals(before), 'byte for byte as it was (not switched to WAL)');
  assert.not.ok(existsSync(`${foreign}-wal`) || existsSync(`${foreign}-shm`), 'no WAL files made beside it');
  const newerBytes = readFileSync(newer);
  assert.throws(
    () => new RecordIndex(newer),
    (e: Error) => e instanceof IndexOpenError,
  );
  assert.ok(readFileSync(newer).equals(newerBytes), 'a newer index is not written either');
  const g = new Database(foreign);
  assert.equal(g.prepare(`SELECT name FROM sqlite_master`).pluck().all(), ['accounts'], 'left as it was');
  g.close();
  writeFileSync(path.join(dir, 'garbage.db'), 'this is not sqlite at all, just text '.repeat(200));
  assert.throws(
    () => new RecordIndex(path.join(dir, 'garbage.db')),
    (e: Error) => e instanceof IndexOpenError && /cannot open the index/.test(e.message),
  );
});

t('the index, the outbox and their WAL/SHM files are 0600, a folder made for them 0700', async () => {
  const { openOutboxDatabase, outboxPathFor } = await import('../src/export/outbox.js');
  const sub = path.join(dir, 'private', 'state');
  const file = path.join(sub, 'index.db');
  const idx = new RecordIndex(file);
  await intakeFile(idx, path.join(REPO_FIXTURES, 'nginx', 'combined.log')); // WAL and SHM exist now
  const ob = openOutboxDatabase(file);
  ob.exec(`CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)`);
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  assert.is(mode(sub), '700');
  assert.is(mode(path.join(dir, 'private')), '700');
  for (const p of [
    file,
    `${file}-wal`,
    `${file}-shm`,
    outboxPathFor(file),
    `${outboxPathFor(file)}-wal`,
    `${outboxPathFor(file)}-shm`,
  ])
    assert.is(mode(p), '600', p);
  ob.close();
  idx.close();
});

t('hostile request IDs are bound as parameters, stored bounded, and found again', async () => {
  const hostile = `x'); DROP TABLE records; --${'y'.repeat(400)}`;
  const log = path.join(dir, 'json.log');
  writeFileSync(
    log,
    `${[
      JSON.stringify({ msec: '1795352512.486', req_id: hostile, status: '502', request: 'GET / HTTP/1.1' }),
      JSON.stringify({ msec: '1795352513.486', req_id: 'plain-id', status: '200', request: 'GET / HTTP/1.1' }),
    ].join('\n')}\n`,
  );
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  await intakeFile(idx, log, { format: 'nginx-json' });
  const rows = idx.byRequestId(hostile);
  assert.is(rows.length, 1);
  assert.is(rows[0]!.request_id!.length, MAX_REQUEST_ID_CHARS);
  assert.is(rows[0]!.status, 502);
  assert.is(idx.counts().records, 2, 'the table is still there');
  assert.is(idx.search({ from: 0, to: 4e12, minStatus: 500 }).length, 1);
  idx.close();
});

t(
  'the checkpointer moves committed pages from the WAL into the index between commits; the commits alone do not',
  async () => {
    const db = path.join(dir, 'ck.db');
    const idx = new RecordIndex(db, { walCheckpointMiB: 64 });
    const log = path.join(dir, 'access.log');
    writeFileSync(log, `${Array.from({ length: 20_000 }, (_, i) => combinedLine(i)).join('\n')}\n`);
    await intakeFile(idx, log);
    const size = () => statSync(db).size;
    const before = size();
    const wal = statSync(`${db}-wal`).size;
    assert.ok(wal > 400_000, `the lines wait in the WAL (${wal} bytes)`);
    // Inside a transaction it leaves the WAL alone (SQLite would refuse).
    idx.transaction(() => assert.is(idx.walCheckpoint(), 'busy'));
    const seconds: number[] = [];
    const checkpointer = startCheckpointer(idx, { intervalMs: 20, onCheckpoint: (s) => seconds.push(s) });
    const deadline = Date.now() + 5000;
    // (The WAL holds several versions of a page rewritten by successive commits: the index grows by less.)
    while (size() < before + 300_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await checkpointer.stop();
    assert.ok(size() >= before + 300_000, `index file ${before} -> ${size()} bytes (WAL ${wal})`);
    assert.ok(seconds.length > 0 && seconds.every((s) => s >= 0 && s < 5), `checkpoint times ${seconds.join(', ')}`);
    const n = seconds.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.is(seconds.length, n, 'stopped: no more checkpoints');
    assert.is(idx.counts().records, 20_000);
    idx.close();
  },
);

t('checkpoints slow on this disk move to a thread of their own, which goes on checkpointing', async () => {
  const db = path.join(dir, 'ck-thread.db');
  const idx = new RecordIndex(db, { walCheckpointMiB: 64 });
  const first = path.join(dir, 'first.log');
  writeFileSync(first, `${Array.from({ length: 2_000 }, (_, i) => combinedLine(i)).join('\n')}\n`);
  await intakeFile(idx, first);
  let moved: number[] | undefined;
  const seconds: number[] = [];
  // Every checkpoint counts as slow here: the second one moves them.
  const checkpointer = startCheckpointer(idx, {
    intervalMs: 20,
    slowMs: 0,
    slowCount: 2,
    onThread: (slow) => (moved = [...slow]),
    onCheckpoint: (s) => seconds.push(s),
  });
  assert.is(checkpointer.where, 'inline');
  let deadline = Date.now() + 5000;
  while (checkpointer.where === 'inline' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.is(checkpointer.where, 'thread');
  assert.is(moved?.length, 2, 'told with the slow checkpoints');
  const inline = seconds.length;
  // Lines committed now are checkpointed by the thread (also while they are committed: commits
  // alone never write the index file in WAL mode, so its growth is the thread's doing).
  const before = statSync(db).size;
  const more = path.join(dir, 'more.log');
  writeFileSync(more, `${Array.from({ length: 20_000 }, (_, i) => combinedLine(i + 2_000)).join('\n')}\n`);
  await intakeFile(idx, more);
  deadline = Date.now() + 5000;
  while (statSync(db).size < before + 300_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.is(checkpointer.where, 'thread', 'still the thread (not back inline)');
  await checkpointer.stop();
  assert.ok(statSync(db).size >= before + 300_000, `index file ${before} -> ${statSync(db).size} bytes`);
  assert.ok(seconds.length > inline, `the thread's checkpoints are timed too (${inline} -> ${seconds.length})`);
  assert.is(idx.counts().records, 22_000);
  idx.close();
});

t("a checkpoint thread that fails sends the checkpoints back to the agent's thread, for good", async () => {
  const db = path.join(dir, 'ck-back.db');
  const idx = new RecordIndex(db, { walCheckpointMiB: 64 });
  const errors: string[] = [];
  const seconds: number[] = [];
  // The thread cannot open an index that is not there: it fails as it starts.
  const gone = Object.create(idx, { file: { value: path.join(dir, 'no-such-dir', 'x.db') } }) as RecordIndex;
  const checkpointer = startCheckpointer(gone, {
    intervalMs: 20,
    slowMs: 0,
    slowCount: 1,
    onCheckpoint: (s) => seconds.push(s),
    onError: (e) => errors.push(e.message),
  });
  let deadline = Date.now() + 5000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.match(errors[0] ?? '', /checkpoint thread (failed|stopped).*back on the agent's thread/);
  assert.is(checkpointer.where, 'inline');
  const n = seconds.length;
  deadline = Date.now() + 5000;
  while (seconds.length < n + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(seconds.length >= n + 3, 'checkpoints go on here');
  assert.is(checkpointer.where, 'inline', 'slow ones no longer move them');
  assert.is(errors.length, 1);
  await checkpointer.stop();
  idx.close();
});

t('a checkpoint thread keeps no process alive: one left running, the process still ends', () => {
  const mod = (f: string) =>
    pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/store', f)).href;
  const script = `
    const { startCheckpointer } = await import(${JSON.stringify(mod('checkpointer.js'))});
    const { RecordIndex } = await import(${JSON.stringify(mod('recordIndex.js'))});
    const c = startCheckpointer(new RecordIndex(${JSON.stringify(path.join(dir, 'ck-exit.db'))}), { intervalMs: 10, slowMs: 0, slowCount: 1 });
    const t = setInterval(() => { if (c.where === 'thread') { clearInterval(t); console.log('thread'); } }, 5);`;
  // A file, not `-e`: an ESM `-e` script's process ended here with the thread still referenced.
  const file = path.join(dir, 'ck-exit.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 10_000 });
  assert.is(r.stdout.trim(), 'thread', r.stderr);
  assert.is(r.status, 0, `ended by itself (signal ${r.signal})`);
});

t('a checkpoint that fails is said once; the agent goes on (the commits checkpoint at their threshold)', async () => {
  const idx = new RecordIndex(path.join(dir, 'ck-fail.db'));
  const errors: string[] = [];
  let calls = 0;
  const failing = Object.assign(Object.create(idx) as RecordIndex, {
    walCheckpoint: () => {
      calls++;
      throw new Error('disk I/O error');
    },
  });
  const checkpointer = startCheckpointer(failing, { intervalMs: 5, onError: (e) => errors.push(e.message) });
  const deadline = Date.now() + 2000;
  while (calls < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await checkpointer.stop();
  assert.ok(calls >= 5, `tried on every tick (${calls})`);
  assert.equal(errors, ['WAL checkpoint: disk I/O error']);
  idx.close();
});

/** A W3C trace ID for line `i` (32 hex characters). */
const traceOf = (i: number) => i.toString(16).padStart(32, '0');

/** The nginx JSON access line `i` of commitLines: request ID `${prefix}${i}`, connection 1000 + i, a traceparent on every 7th, a 502 on every 50th. */
function jsonLine(i: number, prefix: string, time: number): string {
  return JSON.stringify({
    msec: (time / 1000).toFixed(3),
    status: i % 50 === 0 ? '502' : '200',
    request: `GET /r/${i} HTTP/1.1`,
    req_id: `${prefix}${i}`,
    connection: String(1000 + i),
    ...(i % 7 === 0 ? { http_traceparent: `00-${traceOf(i)}-${'1'.repeat(16)}-01` } : {}),
  });
}

/**
 * Commits `n` access lines with request IDs `${prefix}${i}` (and a trace ID on every 7th) to
 * file `fileId` (format nginx-json): real lines, and the records their parser makes of them
 * (a plain 200 is kept in its block alone, a 502 gets a row: both must be found).
 */
function commitLines(
  idx: RecordIndex,
  fileId: number,
  from: number,
  n: number,
  prefix: string,
  time = (i: number) => 1_790_000_000_000 + i * 10,
): void {
  const parse = parserFor('nginx-json', '{}');
  const lines = [];
  for (let i = from; i < from + n; i++) {
    const raw = jsonLine(i, prefix, time(i));
    const r = parse(raw) as LogRecord;
    r.offset = i * 100;
    r.lineNo = i + 1;
    lines.push({ record: r, raw });
  }
  idx.commitBatch(fileId, lines, [], { offset: (from + n) * 100, lineNo: from + n, linesCut: 0 });
}

/** Opens an index of an older schema: it must come out at the current one. */
function openMigrated(file: string): RecordIndex {
  const idx = new RecordIndex(file);
  assert.is(
    idx.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get(),
    String(SCHEMA_VERSION),
  );
  return idx;
}

/** An index as claw-trace schema 3 left it (migrations 1-3 applied, no version recorded yet), with one access log as file 1. */
function schema3Index(file: string): Database.Database {
  const db = new Database(file);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  for (const v of [0, 1, 2]) applyMigration(db, v);
  db.prepare(
    `INSERT INTO files (id, path, fp_len, fp_hash, format, updated_at) VALUES (1, '/var/log/nginx/access.log', 0, 'x', 'nginx-combined', 0)`,
  ).run();
  return db;
}

t(
  'an index of schema 3 is migrated to 4, 5 and 6: its IDs become one run, its lines stay inline (and go by their time), new lines go in blocks',
  async () => {
    const file = path.join(dir, 'v3.db');
    const db = schema3Index(file);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '3')`).run();
    const ins = db.prepare(
      `INSERT INTO records (id, line_no, time, source, request_id, trace_id, status, raw) VALUES (?, ?, ?, 'nginx-access', ?, ?, 200, ?)`,
    );
    for (let i = 0; i < 1000; i++)
      ins.run(
        (1n << 40n) | BigInt(i * 100),
        i + 1,
        1_790_000_000_000 + i,
        i % 10 === 9 ? null : `old-${i}`,
        i % 3 === 0 ? `t-${i}` : null,
        `raw ${i}`,
      );
    db.close();
    const idx = openMigrated(file);
    const indexes = idx.db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('records_request', 'records_trace')`)
      .pluck()
      .all();
    assert.equal(indexes, [], 'the random-keyed B-tree indexes are gone');
    assert.equal(idx.db.prepare(`SELECT run, entries FROM id_runs`).all(), [{ run: 1, entries: 900 + 334 }]);
    assert.equal(
      idx.byRequestId('old-42').map((r) => r.raw),
      ['raw 42'],
    );
    assert.equal(idx.byRequestId('old-49'), [], 'a line without an ID');
    assert.equal(
      idx.byTraceId('t-42').map((r) => r.raw),
      ['raw 42'],
    );
    assert.equal(idx.requestIdsWithPrefix('old-10', 3), ['old-10', 'old-100', 'old-101']);
    assert.ok(idx.hasRequestId('old-0'));
    // New lines go on in runs of their own.
    commitLines(idx, addTestFile(idx).id, 0, 10, 'new-');
    assert.equal(
      idx.byRequestId('new-3').map((r) => r.raw),
      [jsonLine(3, 'new-', 1_790_000_000_030)],
    );
    assert.is(
      idx.db.prepare(`SELECT count(*) FROM records WHERE raw = ''`).pluck().get(),
      1,
      'new lines are in blocks (the 502 with a row, the 200s without one)',
    );
    assert.is(idx.db.prepare(`SELECT sum(rowless) FROM blocks`).pluck().get(), 9);
    assert.is(idx.db.prepare(`SELECT count(*) FROM blocks`).pluck().get(), 1);
    assert.equal(
      idx.byRequestId('old-3').map((r) => r.raw),
      ['raw 3'],
    );
    // Retention: inline rows (no block) go by their own time, the new lines with their block.
    assert.is(idx.counts().records, 1010);
    await applyRetention(idx, { maxAgeMs: 1000 }, 1_790_000_001_500);
    assert.is(idx.counts().records, 500);
    assert.equal(idx.byRequestId('old-3'), []);
    assert.equal(idx.byRequestId('new-3'), []);
    assert.equal(
      idx.byRequestId('old-600').map((r) => r.raw),
      ['raw 600'],
    );
    idx.close();
  },
);

t(
  'an index of schema 4 is migrated to 5: its ID runs and inline lines are read as before, new lines go in blocks',
  () => {
    const file = path.join(dir, 'v4.db');
    const db = schema3Index(file);
    const ins = db.prepare(
      `INSERT INTO records (id, line_no, time, source, request_id, status, raw) VALUES (?, ?, ?, 'nginx-access', ?, 200, ?)`,
    );
    for (let i = 0; i < 300; i++)
      ins.run((1n << 40n) | BigInt(i * 100), i + 1, 1_790_000_000_000 + i, `v4-${i}`, `raw ${i}`);
    applyMigration(db, 3);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '4')`).run();
    db.close();
    const idx = openMigrated(file);
    assert.equal(
      idx.byRequestId('v4-7').map((r) => r.raw),
      ['raw 7'],
    );
    commitLines(idx, addTestFile(idx).id, 0, 5, 'v5-');
    assert.equal(
      idx.byRequestId('v5-2').map((r) => r.raw),
      [jsonLine(2, 'v5-', 1_790_000_000_020)],
    );
    assert.is(idx.db.prepare(`SELECT count(*) FROM blocks`).pluck().get(), 1);
    assert.is(storedLines(idx.db).filter((l) => l === '').length, 0, 'every line, inline or in its block');
    idx.close();
  },
);

t(
  'an index of schema 5 is migrated to 6: its rows and schema-5 blocks read as before; new plain lines keep no row; retention takes both',
  async () => {
    const file = path.join(dir, 'v5.db');
    const db = schema3Index(file);
    for (const v of [3, 4]) applyMigration(db, v);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '5')`).run();
    // What schema 5 wrote: a row per line (raw ''), the lines in a block of the schema-5 layout.
    const t0 = 1_790_000_000_000;
    const lines = Array.from({ length: 10 }, (_, i) => combinedLine(i));
    const offsets = lines.map((_, i) => i * 300);
    const ins = db.prepare(
      `INSERT INTO records (id, line_no, time, source, request_id, status, raw) VALUES (?, ?, ?, 'nginx-access', ?, 200, '')`,
    );
    for (let i = 0; i < 10; i++) ins.run((1n << 40n) | BigInt(offsets[i]!), i + 1, t0 + i, `v5-${i}`);
    db.prepare(`INSERT INTO id_runs (run, entries, min_time, max_time) VALUES (1, 10, ?, ?)`).run(t0, t0 + 9);
    const id = db.prepare(`INSERT INTO ids (run, kind, key, record) VALUES (1, 0, ?, ?)`);
    for (let i = 0; i < 10; i++) id.run(`v5-${i}`, (1n << 40n) | BigInt(offsets[i]!));
    const bodies = lines.map((l) => Buffer.from(l));
    const head = Buffer.alloc(4 + 80);
    head.writeUInt32LE(10, 0);
    for (let i = 0; i < 10; i++) {
      head.writeUInt32LE(offsets[i]!, 4 + 4 * i);
      head.writeUInt32LE(bodies[i]!.length, 44 + 4 * i);
    }
    db.prepare(`INSERT INTO blocks (first_id, last_id, max_time, data) VALUES (?, ?, ?, ?)`).run(
      1n << 40n,
      (1n << 40n) | BigInt(offsets[9]!),
      t0 + 9,
      deflateRawSync(Buffer.concat([head, ...bodies])),
    );
    db.close();

    const idx = openMigrated(file);
    assert.equal(
      idx.byRequestId('v5-7').map((r) => r.raw),
      [lines[7]],
    );
    assert.equal(storedLines(idx.db), lines);
    assert.is(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER }).length, 10, 'by time: the rows, not twice');
    // New lines: the plain ones without a row.
    commitLines(idx, addTestFile(idx).id, 0, 100, 'v6-', (i) => t0 + 1_000_000 + i);
    assert.is(idx.db.prepare(`SELECT count(*) FROM records`).pluck().get(), 10 + 2);
    assert.is(idx.counts().records, 110);
    assert.is(idx.byRequestId('v6-51').length, 1);
    assert.is(idx.search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 }).length, 110);
    // Retention by age takes the schema-5 block with its rows, then the new lines' blocks with theirs.
    await applyRetention(idx, { maxAgeMs: 1000 }, t0 + 1_000_000);
    assert.is(idx.counts().records, 100);
    assert.equal(idx.byRequestId('v5-7'), []);
    await applyRetention(idx, { maxAgeMs: 0 }, t0 + 2_000_000);
    assert.is(idx.counts().records, 0);
    assert.is(idx.db.prepare(`SELECT count(*) FROM blocks`).pluck().get(), 0);
    assert.is(idEntries(idx.db, true).length, 0, 'no entry of a line gone is readable');
    assert.equal(idx.byRequestId('v6-51'), []);
    idx.close();
  },
);

t(
  'an index of schema 6 is migrated to 7: its ID runs become pages, its connections a run; merges in progress start again; every lookup answers as before',
  async () => {
    const file = path.join(dir, 'v6.db');
    const idx = new RecordIndex(file);
    await intakeFile(idx, path.join(REPO_FIXTURES, 'nginx', 'claw_json.log'));
    const fileId = addTestFile(idx).id;
    for (let i = 0; i < 3000; i += 500) commitLines(idx, fileId, i, 500, 'é-ü-');
    commitLines(idx, fileId, 3000, 40, 'z-');
    const entries = idEntries(idx.db, true).map(({ kind, key, record }) => ({ kind, key, record }));
    const conns = entries.filter((e) => e.kind === 2);
    assert.ok(conns.length > 10 && entries.some((e) => /é/.test(e.key)), 'connections and non-ASCII keys');
    const ids = [...new Set(entries.filter((e) => e.kind === 0).map((e) => e.key))];
    const answers = () => ({
      byId: ids.map((k) =>
        idx2()
          .byRequestId(k)
          .map((r) => r.raw),
      ),
      conns: idx2().rowlessOnConnections(
        conns.map((c) => Number.parseInt(c.key.slice(0, 16), 16)),
        0,
        Number.MAX_SAFE_INTEGER,
      ).length,
      prefix: idx2().requestIdsWithPrefix('é-ü-1', 5),
    });
    let current = idx;
    const idx2 = () => current;
    const before = answers();
    assert.ok(before.conns > 10);
    assert.is(before.prefix.length, 5);
    idx.close();

    // Back to what schema 6 wrote: an entry a row; connections in their table; a merge half-done, a retired run.
    const db = new Database(file);
    db.exec(`CREATE TABLE ids (run INTEGER NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, record INTEGER NOT NULL,
      PRIMARY KEY (run, kind, key, record)) WITHOUT ROWID;
      CREATE TABLE conns (record INTEGER PRIMARY KEY, conn INTEGER NOT NULL, time INTEGER NOT NULL);
      CREATE INDEX conns_conn ON conns(conn, time);`);
    const insId = db.prepare(`INSERT INTO ids (run, kind, key, record) VALUES (?, ?, ?, ?)`);
    const insConn = db.prepare(`INSERT INTO conns (record, conn, time) VALUES (?, ?, ?)`);
    for (const e of idEntries(db)) {
      if (e.kind < 2) insId.run(e.run, e.kind, e.key, e.record);
      else insConn.run(e.record, BigInt(`0x${e.key.slice(0, 16)}`), BigInt(`0x${e.key.slice(16)}`));
    }
    db.exec(`DROP TABLE id_pages; DROP TABLE id_merge;
      CREATE TABLE id_merge (target INTEGER PRIMARY KEY, sources TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, record INTEGER NOT NULL);
      UPDATE id_runs SET entries = (SELECT count(*) FROM ids WHERE ids.run = id_runs.run);
      DELETE FROM id_runs WHERE entries = 0;
      UPDATE meta SET value = '6' WHERE key = 'schema_version';`);
    const [r1, r2] = db
      .prepare(`SELECT run FROM id_runs WHERE state = 0 ORDER BY run LIMIT 2`)
      .pluck()
      .all() as number[];
    // More than one read of the migration (50,000 entries) in a run and in the connections.
    const bulk = 60_000;
    db.transaction(() => {
      for (let i = 0; i < bulk; i++) {
        insId.run(r1, 0, `bulk-${i}`, (7n << 40n) + BigInt(i));
        insConn.run((7n << 40n) + BigInt(i), 5_000 + (i % 97), 1_790_000_000_000 + i);
      }
    })();
    db.prepare(`UPDATE id_runs SET entries = entries + ? WHERE run = ?`).run(bulk, r1);
    db.prepare(`INSERT INTO id_runs (run, entries, state) VALUES (900, 5, 1), (901, 7, 2)`).run();
    db.prepare(
      `INSERT INTO ids (run, kind, key, record) VALUES (900, 0, 'half-merged', 1), (901, 0, 'retired', 2)`,
    ).run();
    db.prepare(`INSERT INTO id_merge VALUES (900, ?, 0, 'x', 0)`).run(JSON.stringify([r1, r2]));
    db.close();

    current = openMigrated(file);
    const tables = current.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
    assert.ok(!tables.includes('ids') && !tables.includes('conns') && tables.includes('id_pages'), tables.join());
    const migrated = idEntries(current.db);
    assert.equal(
      migrated.filter((e) => e.record >> 40n !== 7n).map(({ kind, key, record }) => ({ kind, key, record })),
      entries,
      'every readable entry, once; the half-merged and retired runs gone',
    );
    assert.is(migrated.filter((e) => e.kind === 0 && e.key.startsWith('bulk-')).length, bulk);
    assert.is(migrated.filter((e) => e.kind === 2 && e.record >> 40n === 7n).length, bulk);
    assert.equal(
      current.db
        .prepare(`SELECT r.run FROM id_runs r WHERE r.entries <> (SELECT sum(n) FROM id_pages p WHERE p.run = r.run)`)
        .pluck()
        .all(),
      [],
      'each run holds as many entries as it says',
    );
    // Every run's pages in order: entries in (kind, bytes, record) order, a page's row keyed by its last entry.
    const pages = current.db
      .prepare(`SELECT run, kind, last_key, last_record, data FROM id_pages ORDER BY run, kind, last_key, last_record`)
      .safeIntegers()
      .all() as { run: bigint; kind: bigint; last_key: Buffer; last_record: bigint; data: Buffer }[];
    let prev: { run: bigint; kind: bigint; key: Buffer; rec: bigint } | undefined;
    for (const p of pages) {
      for (let at = 0; at < p.data.length; ) {
        const kl = p.data.readUInt16LE(at);
        const key = p.data.subarray(at + 2, at + 2 + kl);
        const rec = p.data.readBigInt64LE(at + 2 + kl);
        if (prev && prev.run === p.run)
          assert.ok(
            prev.kind < p.kind ||
              (prev.kind === p.kind && (Buffer.compare(prev.key, key) < 0 || (prev.key.equals(key) && prev.rec < rec))),
            'in order',
          );
        prev = { run: p.run, kind: p.kind, key, rec };
        at += 2 + kl + 8;
      }
      assert.ok(prev!.key.equals(p.last_key) && prev!.rec === p.last_record, 'keyed by its last entry');
    }
    assert.is(current.db.prepare(`SELECT count(*) FROM id_merge`).pluck().get(), 0);
    assert.equal(answers(), before);
    // The runs go on being merged and read.
    for (let i = 5000; i < 5000 + FANOUT * 300; i += 300) commitLines(current, fileId, i, 300, 'after-');
    while (current.reclaimIds(10_000) > 0);
    assert.equal(answers(), before);
    assert.is(current.byRequestId('after-5301').length, 1);
    current.close();
  },
);

t('ID runs: a retired run is deleted a bounded range at a time; nothing else goes with it', () => {
  const idx = new RecordIndex(path.join(dir, 'ranges.db'));
  const fileId = addTestFile(idx).id;
  for (let i = 0; i < FANOUT * 500; i += 500) commitLines(idx, fileId, i, 500, 'r-');
  while (idx.reclaimIds(10_000) > 0); // the merge the 16th commit started, and its sources' deletion
  assert.is(idx.db.prepare(`SELECT count(*) FROM id_runs`).pluck().get(), 1, 'one merged run left');
  assert.is(idEntries(idx.db).filter((e) => e.kind < 2).length, FANOUT * 500 + Math.ceil((FANOUT * 500) / 7));
  for (let i = 0; i < FANOUT * 500; i += 333) assert.is(idx.byRequestId(`r-${i}`).length, 1, `r-${i}`);
  // Retired (as retention does when its lines are gone): its pages go a bounded number a call.
  idx.db.prepare(`UPDATE id_runs SET state = 2`).run();
  const pages = idx.db.prepare(`SELECT count(*) FROM id_pages`).pluck().get() as number;
  assert.ok(pages > FANOUT, `${pages} pages`);
  const records = idx.db.prepare(`SELECT count(*) FROM records`).pluck().get();
  let calls = 0;
  while (idx.reclaimIds(50) > 0) calls++;
  // A budget of 50 deletes one page (64 units) a call at most.
  assert.ok(calls >= pages, `deleted in steps (${calls} calls of 50 for ${pages} pages)`);
  assert.is(idx.db.prepare(`SELECT count(*) FROM id_pages`).pluck().get(), 0);
  assert.is(idx.db.prepare(`SELECT count(*) FROM id_runs`).pluck().get(), 0, 'the run forgotten with its last page');
  assert.is(idx.db.prepare(`SELECT count(*) FROM records`).pluck().get(), records, 'no row went with it');
  assert.is(storedLines(idx.db).length, FANOUT * 500, 'no line went with it');
  idx.close();
});

t('ID runs: a prefix lookup skips the keys whose lines are gone, however many come first in a run', async () => {
  const idx = new RecordIndex(path.join(dir, 'prefix.db'));
  const fileId = addTestFile(idx).id;
  const t0 = 1_790_000_000_000;
  // One commit, one run: the first 64 lines (one block) old, the rest new.
  commitLines(idx, fileId, 0, 100, 'p-', (i) => (i < 64 ? t0 + i : t0 + 10_000_000 + i));
  assert.equal(idx.requestIdsWithPrefix('p-', 3), ['p-0', 'p-1', 'p-10']);
  await applyRetention(idx, { maxAgeMs: 1_000_000 }, t0 + 10_500_000);
  assert.is(idx.byRequestId('p-10').length, 0, 'gone');
  assert.is(idx.byRequestId('p-70').length, 1, 'kept');
  // Keys in byte order: p-64 .. p-69, p-7, p-70 ...; the 64 gone ones come first in the run.
  assert.equal(idx.requestIdsWithPrefix('p-', 8), ['p-64', 'p-65', 'p-66', 'p-67', 'p-68', 'p-69', 'p-70', 'p-71']);
  assert.equal(idx.requestIdsWithPrefix('p-9', 3), ['p-90', 'p-91', 'p-92']);
  idx.close();
});

t('ID runs: merge policy (pure): FANOUT runs of a size class make one of the next; runs at the cap stay', () => {
  assert.is(sizeClass(1), 0);
  assert.is(sizeClass(500), 0);
  assert.is(sizeClass(6000), 0);
  assert.is(sizeClass(8000), 1);
  assert.is(sizeClass(120_000), 2);
  const runs = (sizes: number[]) => sizes.map((entries, k) => ({ run: k + 1, entries }));
  assert.is(pickMerge(runs(Array(FANOUT - 1).fill(500))), undefined);
  assert.equal(
    pickMerge(runs([8000, ...Array(FANOUT).fill(500)])),
    Array.from({ length: FANOUT }, (_, k) => k + 2),
  );
  assert.is(pickMerge(runs(Array(FANOUT).fill(RUN_CAP))), undefined);
});

t(
  'ID runs: thousands of commits are merged step by step inside them; every ID is found once, the run count stays bounded; retention drops old runs',
  async () => {
    const idx = new RecordIndex(path.join(dir, 'runs.db'));
    const fileId = addTestFile(idx).id;
    const N = 60_000;
    let maxRuns = 0;
    for (let i = 0; i < N; i += 150) {
      commitLines(idx, fileId, i, 150, 'id-');
      maxRuns = Math.max(
        maxRuns,
        idx.db.prepare(`SELECT count(*) FROM id_runs WHERE state = 0`).pluck().get() as number,
      );
    }
    // Readable runs: at most 7 per size class below the cap, plus one being merged.
    assert.ok(maxRuns <= 3 * (FANOUT - 1) + FANOUT, `runs readable at most ${maxRuns}`);
    const entries = idEntries(idx.db, true).filter((e) => e.kind < 2).length;
    assert.is(entries, N + Math.ceil(N / 7), 'each ID once among the readable runs');
    for (let i = 0; i < N; i += 997) {
      assert.equal(
        idx.byRequestId(`id-${i}`).map((r) => r.raw),
        [jsonLine(i, 'id-', 1_790_000_000_000 + i * 10)],
      );
    }
    assert.equal(
      idx.byTraceId(traceOf(700)).map((r) => r.request_id),
      ['id-700'],
    );
    assert.equal(idx.requestIdsWithPrefix('id-5999', 20), [
      'id-5999',
      'id-59990',
      'id-59991',
      'id-59992',
      'id-59993',
      'id-59994',
      'id-59995',
      'id-59996',
      'id-59997',
      'id-59998',
      'id-59999',
    ]);
    // A merge in progress survives a reopen (its cursor is in the index) and goes on with the next commits.
    idx.close();
    const again = new RecordIndex(path.join(dir, 'runs.db'));
    commitLines(again, fileId, N, 150, 'id-');
    assert.equal(again.byRequestId(`id-${N + 1}`).length, 1);
    assert.equal(again.byRequestId('id-12345').length, 1);
    // Retention: records older than the cutoff go; runs only they were in go whole; the rest still answer.
    const cutoff = 1_790_000_000_000 + 40_000 * 10;
    const before = idEntries(again.db).length;
    await applyRetention(again, { maxAgeMs: 0 }, cutoff);
    assert.equal(again.byRequestId('id-100'), [], 'expired');
    assert.equal(again.byRequestId('id-45000').length, 1, 'kept');
    assert.is(again.hasRequestId('id-100'), false);
    const after = idEntries(again.db).length;
    assert.ok(after < before, `ID entries deleted with their runs (${before} -> ${after})`);
    assert.is(
      again.db.prepare(`SELECT count(*) FROM id_runs WHERE state = 2`).pluck().get(),
      0,
      'no retired run left over',
    );
    // Retired runs went by ranges and whole: no entry of a forgotten run is left, and every run left holds all its entries.
    assert.is(
      again.db.prepare(`SELECT count(*) FROM id_pages WHERE run NOT IN (SELECT run FROM id_runs)`).pluck().get(),
      0,
    );
    assert.equal(
      again.db
        .prepare(
          `SELECT r.run FROM id_runs r WHERE r.state = 0 AND r.entries <> (SELECT sum(n) FROM id_pages p WHERE p.run = r.run)`,
        )
        .pluck()
        .all(),
      [],
    );
    again.close();
  },
);

t.run();
