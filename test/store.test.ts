import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Database from '../src/store/sqlite.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RecordIndex, IndexOpenError, MAX_REQUEST_ID_CHARS } from '../src/store/recordIndex.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/schema.js';
import { combinedLine, fixture } from './helpers.js';
import { startCheckpointer } from '../src/store/checkpointer.js';
const REPO_FIXTURES = path.dirname(fixture('x'));
import { intakeFile } from '../src/intake/intakeFile.js';

const t = suite('store');
let dir = '';
t.before.each(() => { dir = mkdtempSync(path.join(tmpdir(), 'claw-store-')); });
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

t('a new index gets the current schema; reopening keeps it', () => {
  const file = path.join(dir, 'i.db');
  new RecordIndex(file).close();
  const idx = new RecordIndex(file);
  assert.is(idx.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get(), String(SCHEMA_VERSION));
  assert.is(idx.db.pragma('journal_mode', { simple: true }), 'wal');
  idx.close();
});

t('an index of schema 1 (the first release) is migrated in place: its lines stay, the change log is added', async () => {
  const file = path.join(dir, 'v1.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  db.exec(MIGRATIONS[0]!);
  db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '1')`).run();
  db.prepare(`INSERT INTO files (path, fp_len, fp_hash, format, updated_at) VALUES ('/var/log/nginx/access.log', 0, 'x', 'nginx-combined', 0)`).run();
  db.close();
  const idx = new RecordIndex(file);
  assert.is(idx.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get(), String(SCHEMA_VERSION));
  assert.is(idx.files().length, 1, 'the old rows are kept');
  assert.match(idx.indexId, /^[0-9a-f]{32}$/);
  await intakeFile(idx, path.join(REPO_FIXTURES, 'nginx', 'combined.log'));
  assert.ok((idx.db.prepare(`SELECT count(*) FROM batches`).pluck().get() as number) > 0, 'commits are logged for the exporter');
  idx.close();
});

t('a newer schema or a foreign database is refused with a clear message, never touched', () => {
  const newer = path.join(dir, 'newer.db');
  new RecordIndex(newer).close();
  const db = new Database(newer);
  db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
  db.close();
  assert.throws(() => new RecordIndex(newer), (e: Error) => e instanceof IndexOpenError && /newer claw-trace \(schema 99/.test(e.message));
  const foreign = path.join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE accounts (id INTEGER)');
  f.close();
  const before = readFileSync(foreign);
  assert.throws(() => new RecordIndex(foreign), /not a claw-trace index/);
  assert.ok(readFileSync(foreign).equals(before), 'byte for byte as it was (not switched to WAL)');
  assert.not.ok(existsSync(`${foreign}-wal`) || existsSync(`${foreign}-shm`), 'no WAL files made beside it');
  const newerBytes = readFileSync(newer);
  assert.throws(() => new RecordIndex(newer), (e: Error) => e instanceof IndexOpenError);
  assert.ok(readFileSync(newer).equals(newerBytes), 'a newer index is not written either');
  const g = new Database(foreign);
  assert.equal(g.prepare(`SELECT name FROM sqlite_master`).pluck().all(), ['accounts'], 'left as it was');
  g.close();
  writeFileSync(path.join(dir, 'garbage.db'), 'this is not sqlite at all, just text '.repeat(200));
  assert.throws(() => new RecordIndex(path.join(dir, 'garbage.db')), (e: Error) => e instanceof IndexOpenError && /cannot open the index/.test(e.message));
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
  for (const p of [file, `${file}-wal`, `${file}-shm`, outboxPathFor(file), `${outboxPathFor(file)}-wal`, `${outboxPathFor(file)}-shm`]) assert.is(mode(p), '600', p);
  ob.close();
  idx.close();
});

t('hostile request IDs are bound as parameters, stored bounded, and found again', async () => {
  const hostile = `x'); DROP TABLE records; --${'y'.repeat(400)}`;
  const log = path.join(dir, 'json.log');
  writeFileSync(log, [
    JSON.stringify({ msec: '1795352512.486', req_id: hostile, status: '502', request: 'GET / HTTP/1.1' }),
    JSON.stringify({ msec: '1795352513.486', req_id: 'plain-id', status: '200', request: 'GET / HTTP/1.1' }),
  ].join('\n') + '\n');
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

t('the checkpointer thread moves committed pages from the WAL into the index; the commits do not', async () => {
  const db = path.join(dir, 'ck.db');
  const idx = new RecordIndex(db, { walCheckpointMiB: 64 });
  const log = path.join(dir, 'access.log');
  writeFileSync(log, Array.from({ length: 20_000 }, (_, i) => combinedLine(i)).join('\n') + '\n');
  await intakeFile(idx, log);
  const size = () => statSync(db).size;
  const before = size();
  assert.ok(statSync(`${db}-wal`).size > 2_000_000, 'the lines wait in the WAL');
  const checkpointer = startCheckpointer(db, { intervalMs: 20 });
  const deadline = Date.now() + 5000;
  while (size() < before + 1_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await checkpointer.stop();
  assert.ok(size() >= before + 1_000_000, `index file ${before} -> ${size()} bytes`);
  assert.is(idx.counts().records, 20_000);
  idx.close();
});

t.run();
