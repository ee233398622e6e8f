/**
 * Lookups over the ID runs against what happens around them (a review's reproductions, session 9):
 * retention that leaves a run's first keys without lines, an ID on more lines than one probe
 * reads, a writer's merge finishing between a reader's statements, and lone surrogates as an
 * index of schema 6 on Node 20 (better-sqlite3 12: WTF-8 in TEXT) stored them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordIndex } from '../src/store/recordIndex.js';
import Database from '../src/store/sqlite.js';
import { Statements } from '../src/store/statements.js';
import { addTestFile, idEntries, nginxJsonBatch } from './helpers.js';

const t = suite('review9');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-rev9-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_790_000_000_000;
const lines = nginxJsonBatch;

function open(): { idx: RecordIndex; fileId: number } {
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  const fileId = addTestFile(idx).id;
  return { idx, fileId };
}

for (const status of [200, 500]) {
  t(`prefix search after retention: a live ID behind stale ones of its run (status ${status})`, () => {
    const { idx, fileId } = open();
    // One commit (one run): 11 old lines a00..a10, then one new line a99 (another block: an hour later).
    const specs = [
      ...Array.from({ length: 11 }, (_, i) => ({ key: `a${String(i).padStart(2, '0')}`, time: T0 + i, status })),
      { key: 'a99', time: T0 + 3_600_000, status },
    ];
    const ls = lines(specs);
    idx.commitBatch(fileId, ls, [], { offset: ls.length * 1000, lineNo: ls.length, linesCut: 0 });
    assert.is(idx.requestIdsWithPrefix('a', 10).length, 10);
    // Retention deletes the old lines' block (not the new one).
    idx.deleteBlocksBefore(T0 + 60_000, 100);
    idx.reclaimIds(1_000_000);
    assert.is(idx.byRequestId('a99').length, 1, 'a99 is still stored');
    assert.is(idx.byRequestId('a00').length, 0, 'a00 is gone');
    assert.ok(idx.hasRequestId('a99'));
    assert.equal(idx.requestIdsWithPrefix('a', 10), ['a99']);
    idx.close();
  });
}

for (const status of [200, 500]) {
  t(`hasRequestId: an ID on more than 64 lines, the oldest of them past retention (status ${status})`, () => {
    const { idx, fileId } = open();
    const specs = [
      ...Array.from({ length: 70 }, (_, i) => ({ key: 'same', time: T0 + i, status })),
      { key: 'same', time: T0 + 3_600_000, status },
    ];
    const ls = lines(specs);
    idx.commitBatch(fileId, ls, [], { offset: ls.length * 1000, lineNo: ls.length, linesCut: 0 });
    idx.deleteBlocksBefore(T0 + 60_000, 100);
    idx.reclaimIds(1_000_000);
    assert.is(idx.byRequestId('same').length, 1, 'one line left');
    assert.ok(idx.hasRequestId('same'), 'hasRequestId sees it');
    idx.close();
  });
}

t('a lookup racing a merge that completes between its statements (agent writes, API reads)', () => {
  const { idx: writer, fileId } = open();
  const K = 'k'.repeat(40); // ~80 entries a page: 300 lines of K span 4 pages of one run
  let at = 0;
  const commit = (specs: { key: string; time: number }[]) => {
    const ls = lines(specs, at);
    at += ls.length;
    writer.commitBatch(fileId, ls, [], { offset: at * 1000, lineNo: at, linesCut: 0 });
  };
  commit(Array.from({ length: 300 }, (_, i) => ({ key: K, time: T0 + i })));
  for (let r = 0; r < 14; r++) commit([{ key: `other-${r}`, time: T0 + 1000 + r }]);
  const reader = new RecordIndex(path.join(dir, 'i.db'));
  assert.is(reader.byRequestId(K, 100_000).length, 300, 'before');
  // The writer's next commit (the 16th run: a merge starts, completes, its sources' pages go) lands
  // between the reader's first statement and its next one.
  const st = (reader as unknown as { statements: { get(sql: string): unknown } }).statements;
  const get = st.get.bind(st);
  let fired = false;
  st.get = (sql: string) => {
    const s = get(sql) as { iterate: (...a: unknown[]) => unknown };
    if (!sql.includes('(last_key, last_record) > (?, ?)')) return s;
    const proxy: unknown = new Proxy(s, {
      get(target, prop) {
        if (prop === 'safeIntegers') return () => proxy;
        if (prop === 'iterate')
          return (...a: unknown[]) => {
            if (!fired) {
              fired = true;
              commit(Array.from({ length: 1500 }, (_, i) => ({ key: `new-${i}`, time: T0 + 5000 + i })));
              // writer.reclaimIds(1_000_000);
            }
            return target.iterate(...a);
          };
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return proxy;
  };
  const got = reader.byRequestId(K, 100_000).length;
  assert.ok(fired, 'the race was staged');
  assert.is(got, 300, 'every line of K, whatever the writer committed meanwhile');
  reader.close();
  writer.close();
});

t(
  'schema 6 -> 7: an ID with a lone surrogate, as better-sqlite3 12 (Node 20) stored it in `ids`, is found after the migration',
  () => {
    const file = path.join(dir, 'i.db');
    const { idx, fileId } = open();
    const keys = ['req-\ud800x', 'req-\udfffy', 'req-plain'];
    const ls = lines(keys.map((key, i) => ({ key, time: T0 + i, status: i === 1 ? 502 : 200 })));
    idx.commitBatch(fileId, ls, [], { offset: ls.length * 1000, lineNo: ls.length, linesCut: 0 });
    for (const k of keys) assert.is(idx.byRequestId(k).length, 1, `schema 7 written: ${JSON.stringify(k)}`);
    const entries = idEntries(idx.db, true);
    idx.close();
    // What schema 6 wrote (as store.test.ts does it), its keys bound as the strings the parser gave.
    const byRecord = new Map(
      ls.map((l) => [BigInt(fileId) * 2n ** 40n + BigInt(l.record.offset!), l.record.requestId!]),
    );
    const db = new Database(file);
    db.exec(`CREATE TABLE ids (run INTEGER NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, record INTEGER NOT NULL,
    PRIMARY KEY (run, kind, key, record)) WITHOUT ROWID;
    CREATE TABLE conns (record INTEGER PRIMARY KEY, conn INTEGER NOT NULL, time INTEGER NOT NULL);
    DROP TABLE id_pages; DROP TABLE id_merge;
    CREATE TABLE id_merge (target INTEGER PRIMARY KEY, sources TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, record INTEGER NOT NULL);
    UPDATE meta SET value = '6' WHERE key = 'schema_version';`);
    for (const e of entries)
      if (e.kind === 0) db.prepare(`INSERT INTO ids VALUES (?, 0, ?, ?)`).run(e.run, byRecord.get(e.record), e.record);
    // The 502's row as schema 6 wrote it: its ID bound as the parser's string.
    for (const [record, key] of byRecord) db.prepare(`UPDATE records SET request_id = ? WHERE id = ?`).run(key, record);
    db.close();
    const migrated = new RecordIndex(file);
    for (const k of keys) assert.is(migrated.byRequestId(k).length, 1, `migrated: ${JSON.stringify(k)}`);
    migrated.close();
  },
);

t(
  'a read transaction: one snapshot for its statements; inside an open iteration of its connection it reads without one',
  () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (k INTEGER); INSERT INTO t VALUES (1), (2)');
    const st = new Statements(db);
    assert.is(
      st.snapshot(() => db.inTransaction),
      true,
    );
    assert.is(db.inTransaction, false, 'ended');
    for (const _ of db.prepare('SELECT k FROM t').iterate()) {
      // SQLite refuses BEGIN while a statement of the connection is stepping: the reads go on without it.
      assert.is(
        st.snapshot(() => st.get('SELECT count(*) FROM t').pluck().get()),
        2,
      );
      break;
    }
    db.close();
  },
);

t.run();
