/**
 * Storage layouts for the request-ID index, measured alone (issue 14, step 1): SQLite only, no
 * parsing, 1 KB claw_json lines with random 32-hex request IDs. Run by hand:
 *   node dist/bench/layout.js                       all layouts at 100k and 1M rows, interleaved (a, b, c, d, a, b, ...)
 *   node dist/bench/layout.js --rows 3000000 --layouts a,b --rounds 1
 * One child process per measurement (its /proc/self/io is its own): the index is built with N rows
 * (not measured), then 100,000 lines are appended in commits of 500 (5,000 lines/s in 100 ms
 * batches, the agent's page cache of 16 MiB), then 2,000 lookups of random known IDs.
 *
 * (a) today's: records with a B-tree index on request_id (random key: each commit rewrites the
 *     leaves it touched, to the WAL and again at the checkpoint).
 * (b) runs (LSM): each commit's IDs as a sorted run appended at the end of a WITHOUT ROWID table
 *     keyed (run, key, record); 8 runs of a size are merged into one (sorted) in the commit's
 *     transaction; runs of >= 256k entries are never merged; lookups probe every run.
 * (c) time partitions: a table of IDs per 100,000 rows (random inserts into the current one only).
 * (d) blocks: 64 lines per row, deflated (node:zlib, level 1), with (b)'s runs mapping ID -> block.
 * (z) the floor: records and their time index, no ID index at all.
 * (e) what was built: the real RecordIndex (the agent's settings), runs merged a bounded step at a
 *     time inside commits (schema 4), and since schema 5 the lines in (d)'s blocks; commits through
 *     `commitBatch`, lookups `byRequestId`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { LogRecord } from '../parsers/index.js';
import { AGENT_INDEX_OPTIONS } from '../src/agent/agent.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import Database from '../src/store/sqlite.js';
import { clawJson } from './lines.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const LIVE_LINES = 100_000;
const COMMIT = 500;
const BLOCK = 64;
const FANOUT = 8;
const RUN_CAP = 256_000;
const PARTITION = 100_000;

function writtenBytes(): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
}
const idOf = (i: number) =>
  (Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, '0') +
  (Math.imul(i + 7, 40503) >>> 0).toString(16).padStart(8, '0').repeat(3);
interface Row {
  id: number;
  time: number;
  rid: string;
  raw: string;
}
// Line i of the generated log: a fresh random ID (idOf), so lookups can pick known ones.
function row(i: number): Row {
  const raw = clawJson(i).replace(
    /"req_id":"[0-9a-f]+","nginx_request_id":"[0-9a-f]+"/,
    `"req_id":"${idOf(i)}","nginx_request_id":"${idOf(i)}"`,
  );
  return { id: i, time: 1_790_000_000_000 + i * 50, rid: idOf(i), raw };
}

interface Layout {
  ddl: string;
  /** Opens the database itself (default: a bare connection with `ddl`). */
  open?(file: string): Database.Database;
  /** Builds n rows fast (not measured). */
  build(db: Database.Database, n: number): void;
  commit(db: Database.Database, rows: Row[]): void;
  lookup(db: Database.Database, rid: string): number;
}

const RECORDS = `CREATE TABLE records (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, source TEXT NOT NULL, request_id TEXT, raw TEXT NOT NULL);
  CREATE INDEX records_time ON records(time);`;
const RUNS = `CREATE TABLE id_runs (run INTEGER PRIMARY KEY, entries INTEGER NOT NULL, min_time INTEGER, max_time INTEGER);
  CREATE TABLE ids (run INTEGER NOT NULL, key TEXT NOT NULL, record INTEGER NOT NULL, PRIMARY KEY (run, key, record)) WITHOUT ROWID;`;

function insertRecords(db: Database.Database, rows: Row[]): void {
  const st = db.prepare(`INSERT INTO records (id, time, source, request_id, raw) VALUES (?, ?, 'nginx-access', ?, ?)`);
  for (const r of rows) st.run(r.id, r.time, r.rid, r.raw);
}
function chunks(n: number, size: number, f: (rows: Row[]) => void): void {
  for (let i = 0; i < n; i += size) {
    const rows: Row[] = [];
    for (let k = i; k < Math.min(n, i + size); k++) rows.push(row(k));
    f(rows);
  }
}

/** (b)'s runs: append one sorted run, then merge while 8 runs of one size class exist. */
function addRun(
  db: Database.Database,
  entries: { key: string; record: number }[],
  minTime: number,
  maxTime: number,
): void {
  entries.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.record - y.record));
  const run = Number(
    db
      .prepare(`INSERT INTO id_runs (entries, min_time, max_time) VALUES (?, ?, ?)`)
      .run(entries.length, minTime, maxTime).lastInsertRowid,
  );
  const st = db.prepare(`INSERT INTO ids (run, key, record) VALUES (?, ?, ?)`);
  for (const e of entries) st.run(run, e.key, e.record);
  for (;;) {
    const runs = db.prepare(`SELECT run, entries FROM id_runs WHERE entries < ? ORDER BY run`).all(RUN_CAP) as {
      run: number;
      entries: number;
    }[];
    const cls = (n: number) => Math.floor(Math.log(Math.max(1, n / COMMIT)) / Math.log(FANOUT));
    const byClass = new Map<number, number[]>();
    let merge: number[] | undefined;
    for (const r of runs) {
      const c = cls(r.entries);
      const l = byClass.get(c) ?? [];
      l.push(r.run);
      byClass.set(c, l);
      if (l.length >= FANOUT) {
        merge = l;
        break;
      }
    }
    if (!merge) return;
    const list = merge.join(', ');
    const agg = db
      .prepare(`SELECT sum(entries) AS n, min(min_time) AS lo, max(max_time) AS hi FROM id_runs WHERE run IN (${list})`)
      .get() as { n: number; lo: number; hi: number };
    const to = Number(
      db.prepare(`INSERT INTO id_runs (entries, min_time, max_time) VALUES (?, ?, ?)`).run(agg.n, agg.lo, agg.hi)
        .lastInsertRowid,
    );
    db.prepare(
      `INSERT INTO ids (run, key, record) SELECT ?, key, record FROM ids WHERE run IN (${list}) ORDER BY key, record`,
    ).run(to);
    db.prepare(`DELETE FROM ids WHERE run IN (${list})`).run();
    db.prepare(`DELETE FROM id_runs WHERE run IN (${list})`).run();
  }
}
function runsLookup(db: Database.Database, rid: string): number[] {
  return db
    .prepare(`SELECT record FROM ids WHERE run IN (SELECT run FROM id_runs) AND key = ?`)
    .pluck()
    .all(rid) as number[];
}

let real: RecordIndex | undefined;
function realCommit(rows: Row[]): void {
  const lines = rows.map((r) => {
    const rec = new LogRecord('nginx-access', r.time);
    rec.requestId = r.rid;
    rec.status = 200;
    rec.offset = r.id * 1100;
    rec.lineNo = r.id + 1;
    return { record: rec, raw: r.raw };
  });
  const last = rows[rows.length - 1]!;
  real!.commitBatch(1, lines, [], { offset: (last.id + 1) * 1100, lineNo: last.id + 1, linesCut: 0 });
}

const layouts: Record<string, Layout> = {
  a: {
    ddl: RECORDS,
    build(db, n) {
      db.transaction(() => chunks(n, 10_000, (rows) => insertRecords(db, rows)))();
      db.exec(`CREATE INDEX records_request ON records(request_id) WHERE request_id IS NOT NULL`);
    },
    commit(db, rows) {
      db.transaction(() => insertRecords(db, rows))();
    },
    lookup(db, rid) {
      return db.prepare(`SELECT id, raw FROM records WHERE request_id = ?`).all(rid).length;
    },
  },
  b: {
    ddl: RECORDS + RUNS,
    build(db, n) {
      db.transaction(() => {
        chunks(n, 10_000, (rows) => insertRecords(db, rows));
        for (let i = 0; i < n; i += RUN_CAP) {
          const e: { key: string; record: number }[] = [];
          for (let k = i; k < Math.min(n, i + RUN_CAP); k++) e.push({ key: idOf(k), record: k });
          addRun(db, e, 0, 0);
        }
      })();
    },
    commit(db, rows) {
      db.transaction(() => {
        insertRecords(db, rows);
        addRun(
          db,
          rows.map((r) => ({ key: r.rid, record: r.id })),
          rows[0]!.time,
          rows[rows.length - 1]!.time,
        );
      })();
    },
    lookup(db, rid) {
      const st = db.prepare(`SELECT id, raw FROM records WHERE id = ? AND request_id = ?`);
      return runsLookup(db, rid).filter((id) => st.get(id, rid) !== undefined).length;
    },
  },
  c: {
    ddl: `${RECORDS}CREATE TABLE parts (part INTEGER PRIMARY KEY);`,
    build(db, n) {
      db.transaction(() =>
        chunks(n, PARTITION, (rows) => {
          insertRecords(db, rows);
          const p = Math.floor(rows[0]!.id / PARTITION);
          db.exec(
            `CREATE TABLE ids_${p} (key TEXT NOT NULL, record INTEGER NOT NULL, PRIMARY KEY (key, record)) WITHOUT ROWID; INSERT INTO parts VALUES (${p})`,
          );
          const st = db.prepare(`INSERT INTO ids_${p} VALUES (?, ?)`);
          for (const r of [...rows].sort((x, y) => (x.rid < y.rid ? -1 : 1))) st.run(r.rid, r.id);
        }),
      )();
    },
    commit(db, rows) {
      db.transaction(() => {
        insertRecords(db, rows);
        const p = Math.floor(rows[0]!.id / PARTITION);
        db.exec(
          `CREATE TABLE IF NOT EXISTS ids_${p} (key TEXT NOT NULL, record INTEGER NOT NULL, PRIMARY KEY (key, record)) WITHOUT ROWID; INSERT OR IGNORE INTO parts VALUES (${p})`,
        );
        const st = db.prepare(`INSERT INTO ids_${p} VALUES (?, ?)`);
        for (const r of rows) st.run(r.rid, r.id);
      })();
    },
    lookup(db, rid) {
      const parts = db.prepare(`SELECT part FROM parts`).pluck().all() as number[];
      const st = db.prepare(`SELECT id, raw FROM records WHERE id = ?`);
      let n = 0;
      for (const p of parts)
        for (const id of db.prepare(`SELECT record FROM ids_${p} WHERE key = ?`).pluck().all(rid) as number[])
          if (st.get(id)) n++;
      return n;
    },
  },
  d: {
    ddl:
      `CREATE TABLE blocks (id INTEGER PRIMARY KEY, first_time INTEGER NOT NULL, data BLOB NOT NULL); CREATE INDEX blocks_time ON blocks(first_time);` +
      RUNS,
    build(db, n) {
      db.transaction(() => chunks(n, BLOCK * 100, (rows) => layouts.d!.commit(db, rows)))();
    },
    commit(db, rows) {
      const write = () => {
        const st = db.prepare(`INSERT INTO blocks (id, first_time, data) VALUES (?, ?, ?)`);
        const e: { key: string; record: number }[] = [];
        for (let i = 0; i < rows.length; i += BLOCK) {
          const part = rows.slice(i, i + BLOCK);
          st.run(part[0]!.id, part[0]!.time, deflateRawSync(part.map((r) => r.raw).join('\n'), { level: 1 }));
          for (const r of part) e.push({ key: r.rid, record: part[0]!.id });
        }
        addRun(db, e, rows[0]!.time, rows[rows.length - 1]!.time);
      };
      if (db.inTransaction) write();
      else db.transaction(write)();
    },
    lookup(db, rid) {
      const st = db.prepare(`SELECT data FROM blocks WHERE id = ?`).pluck();
      let n = 0;
      for (const b of new Set(runsLookup(db, rid))) {
        const lines = inflateRawSync(st.get(b) as Buffer)
          .toString()
          .split('\n');
        n += lines.filter((l) => l.includes(rid)).length;
      }
      return n;
    },
  },
  // The floor: the records and their time index, no ID index at all (what any layout of whole rows writes).
  z: {
    ddl: RECORDS,
    build(db, n) {
      db.transaction(() => chunks(n, 10_000, (rows) => insertRecords(db, rows)))();
    },
    commit(db, rows) {
      db.transaction(() => insertRecords(db, rows))();
    },
    lookup() {
      return 1;
    },
  },
  e: {
    ddl: '',
    open(file) {
      real = new RecordIndex(file, AGENT_INDEX_OPTIONS);
      real.addFile({
        path: '/bench/access.log',
        dev: 1,
        ino: 1,
        fpLen: 1,
        fpHash: 'x',
        format: 'nginx-claw_json',
        region: null,
        options: {},
      });
      return real.db;
    },
    build(_db, n) {
      chunks(n, 5000, realCommit);
    },
    commit(_db, rows) {
      realCommit(rows);
    },
    lookup(_db, rid) {
      return real!.byRequestId(rid).length;
    },
  },
};

function measure(name: string, n: number, dir: string): Record<string, number> {
  const L = layouts[name]!;
  const file = path.join(dir, `${name}-${n}.db`);
  const db = L.open ? L.open(file) : new Database(file);
  if (!L.open) {
    db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -16384');
    db.pragma(`wal_autocheckpoint = ${(64 * 1024 * 1024) / 8192}`);
    db.exec(L.ddl);
  }
  L.build(db, n);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const sizeBefore = statSync(file).size;
  // The live phase: new lines (IDs the index has not seen), commits of 500.
  let logBytes = 0;
  const commitMs: number[] = [];
  const w0 = writtenBytes();
  const c0 = process.cpuUsage();
  for (let i = n; i < n + LIVE_LINES; i += COMMIT) {
    const rows: Row[] = [];
    for (let k = i; k < i + COMMIT; k++) {
      const r = row(k);
      rows.push(r);
      logBytes += r.raw.length + 1;
    }
    const t = performance.now();
    L.commit(db, rows);
    commitMs.push(performance.now() - t);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  const c1 = process.cpuUsage(c0);
  const w1 = writtenBytes();
  // CPU of the rows' generation is in the figure too, the same for every layout.
  const sizeAfter = statSync(file).size;
  const lookupMs: number[] = [];
  let found = 0;
  for (let q = 0; q < 2000; q++) {
    const k = Math.floor(Math.random() * (n + LIVE_LINES));
    const t = performance.now();
    found += L.lookup(db, idOf(k));
    lookupMs.push(performance.now() - t);
  }
  db.close();
  rmSync(file, { force: true });
  commitMs.sort((x, y) => x - y);
  lookupMs.sort((x, y) => x - y);
  return {
    writeAmp: (w1 - w0) / logBytes,
    cpuUsPerLine: (c1.user + c1.system) / LIVE_LINES,
    commitP99Ms: commitMs[Math.floor(commitMs.length * 0.99)]!,
    lookupMedianMs: lookupMs[1000]!,
    lookupP99Ms: lookupMs[1980]!,
    found: found / 2000,
    dbBytesPerLogByte: sizeAfter / ((n + LIVE_LINES) * (logBytes / LIVE_LINES)),
    growthPerLogByte: (sizeAfter - sizeBefore) / logBytes,
  };
}

if (process.argv.includes('--child')) {
  const dir = mkdtempSync(path.join(arg('dir', tmpdir()), 'claw-layout-'));
  try {
    process.stdout.write(JSON.stringify(measure(arg('layout', 'a'), Number(arg('rows', '100000')), dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const sizes = arg('rows', '100000,1000000').split(',').map(Number);
  const names = arg('layouts', 'a,b,c,d,e').split(',');
  const rounds = Number(arg('rounds', '2'));
  console.log(
    `layouts, interleaved (${names.join(', ')} in turn, ${rounds} rounds): ${LIVE_LINES.toLocaleString('en-US')} live lines in commits of ${COMMIT}`,
  );
  console.log(
    'layout rows        write-amp  cpu-us/line  commit-p99-ms  lookup-med-ms  lookup-p99-ms  found  db/log  growth/log',
  );
  for (const n of sizes) {
    for (let r = 0; r < rounds; r++) {
      for (const name of names) {
        const out = spawnSync(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', '--layout', name, '--rows', String(n)],
          { encoding: 'utf8', maxBuffer: 1 << 24 },
        );
        if (out.status !== 0) {
          console.log(`${name} ${n}: failed ${out.stderr}`);
          continue;
        }
        const m = JSON.parse(out.stdout) as Record<string, number>;
        console.log(
          `${name.padEnd(6)} ${String(n).padEnd(12)} ${m.writeAmp!.toFixed(2).padStart(9)}  ${m.cpuUsPerLine!.toFixed(1).padStart(11)}  ${m.commitP99Ms!.toFixed(1).padStart(13)}  ` +
            `${m.lookupMedianMs!.toFixed(3).padStart(13)}  ${m.lookupP99Ms!.toFixed(3).padStart(13)}  ${m.found!.toFixed(2).padStart(5)}  ${m.dbBytesPerLogByte!.toFixed(2).padStart(6)}  ${m.growthPerLogByte!.toFixed(2).padStart(10)}`,
        );
      }
    }
  }
}
