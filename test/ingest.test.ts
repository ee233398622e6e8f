/**
 * Backfill and rotation: every line in the index once, whatever happened to the files: rotation
 * by the real logrotate (create, copytruncate, compress), partial lines, garbage in the middle,
 * and kill -9 of the ingesting process at random points.
 */

import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backfill, type IngestSummary } from '../src/intake/backfill.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex, storedLines } from '../src/store/recordIndex.js';
import { combinedLine, fixture, lineNumberOf, prng } from './helpers.js';
import { CLI } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('ingest');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-ingest-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, to: number) =>
  `${Array.from({ length: to - from }, (_, k) => combinedLine(from + k)).join('\n')}\n`;

/** The request numbers in the index, sorted; each must appear once. */
function stored(idx: RecordIndex): number[] {
  return storedLines(idx.db)
    .map(lineNumberOf)
    .sort((a, b) => a - b);
}
/** Bytes 18-19 of an SQLite file: 2, 2 in WAL mode, 1, 1 with a rollback journal. */
function walModeOnDisk(db: string): boolean {
  const fd = openSync(db, 'r');
  const head = Buffer.alloc(20);
  readSync(fd, head, 0, 20, 0);
  closeSync(fd);
  return head[18] === 2 && head[19] === 2;
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

async function ingestAll(idx: RecordIndex): Promise<void> {
  for (const f of readdirSync(dir)
    .filter((n) => n.startsWith('access.log'))
    .sort()
    .reverse())
    await intakeFile(idx, path.join(dir, f));
}

t('ingesting the same file again adds nothing; appended lines are added once', async () => {
  const log = path.join(dir, 'access.log');
  writeFileSync(log, lines(0, 500));
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  assert.is((await intakeFile(idx, log)).records, 500);
  assert.is((await intakeFile(idx, log)).records, 0);
  appendFileSync(log, lines(500, 520));
  assert.is((await intakeFile(idx, log)).records, 20);
  assert.equal(stored(idx), range(0, 520));
  idx.close();
});

t(
  'a backfill commits short lines in batches of at least 1 MiB (up to 6,000 lines), long ones every 1,500 lines',
  async () => {
    // ~90-byte lines: 1 MiB is ~11,600 of them, so 6,000 a batch; ~1 KB lines: 1,500 already pass 1 MiB.
    const short = path.join(dir, 'short.log');
    writeFileSync(short, lines(0, 20_000));
    const long = path.join(dir, 'long.log');
    writeFileSync(long, lines(20_000, 23_000).replaceAll('"curl/8"', `"${'x'.repeat(1000)}"`));
    const db = path.join(dir, 'i.db');
    const counts: number[] = [];
    for (const f of [short, long]) {
      const s = await backfill([f], { db, bulk: 'never', format: 'nginx-combined' });
      assert.is(s.records, f === short ? 20_000 : 3_000);
      const idx = new RecordIndex(db);
      counts.push(idx.db.prepare('SELECT count(*) FROM batches').pluck().get() as number);
      if (f === long) assert.equal(stored(idx), range(0, 23_000), 'every line once');
      idx.close();
    }
    assert.equal(counts, [4, 6], 'commits: 6,000 + 6,000 + 6,000 + 2,000 short lines, then 2 x 1,500 long ones');
    // The live path keeps its own batches (no byte floor): the tailer's 500 lines stay 500.
    const idx = new RecordIndex(path.join(dir, 'live.db'));
    await intakeFile(idx, short, { batchLines: 500 });
    assert.is(idx.db.prepare('SELECT count(*) FROM batches').pluck().get(), 40);
    idx.close();
  },
);

t("a partial last line waits for its newline; an archive's last line is taken as is", async () => {
  const log = path.join(dir, 'access.log');
  const next = combinedLine(3);
  writeFileSync(log, lines(0, 3) + next.slice(0, 30));
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  assert.is((await intakeFile(idx, log)).records, 3);
  appendFileSync(log, `${next.slice(30)}\n`);
  assert.is((await intakeFile(idx, log)).records, 1);
  assert.equal(stored(idx), range(0, 4));
  idx.close();
});

t(
  'garbage, invalid UTF-8 and over-long lines in the middle: every good line arrives, the bad are counted with samples',
  async () => {
    const log = path.join(dir, 'access.log');
    writeFileSync(
      log,
      Buffer.concat([
        Buffer.from(lines(0, 100)),
        Buffer.from('\x00\xff garbage\n', 'latin1'),
        Buffer.from(`${'9'.repeat(2 * 1024 * 1024)}\n`),
        Buffer.from(combinedLine(100).replace('/r/100', '/r/100\xff'), 'latin1'), // a byte that is not UTF-8
        Buffer.from(`\n${lines(101, 200)}`),
      ]),
    );
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    const r = await intakeFile(idx, log, { batchLines: 7 });
    assert.is(r.records, 200);
    assert.equal(r.errors, { 'format-mismatch': 1, 'line-too-long': 1 });
    assert.equal(stored(idx), range(0, 200));
    const f = idx.files()[0]!;
    assert.is(f.lines_cut, 1);
    assert.is(f.line_no, 202);
    assert.ok(
      storedLines(idx.db)
        .find((l) => l.includes('/r/100'))
        ?.includes('/r/100\uFFFD'),
      'kept, the bad byte as U+FFFD',
    );
    const samples = idx.db.prepare('SELECT reason, line_no FROM parse_error_samples ORDER BY line_no').all();
    assert.equal(samples, [
      { reason: 'format-mismatch', line_no: 101 },
      { reason: 'line-too-long', line_no: 102 },
    ]);
    idx.close();
  },
);

const rotate = testNeeding(['logrotate'], 'ingest.test (logrotate)', t);

function logrotate(mode: 'create' | 'copytruncate'): void {
  const conf = path.join(dir, 'logrotate.conf');
  writeFileSync(
    conf,
    `${path.join(dir, 'access.log')} {\n  rotate 5\n  ${mode}\n  compress\n  delaycompress\n  missingok\n}\n`,
  );
  const r = spawnSync('logrotate', ['-f', '-s', path.join(dir, 'logrotate.state'), conf], { encoding: 'utf8' });
  assert.is(r.status, 0, `logrotate: ${r.stderr}`);
}

for (const mode of ['create', 'copytruncate'] as const) {
  rotate.run(
    `logrotate ${mode} (with delaycompress and compress): every line once across .1, .2.gz and the new file`,
    async () => {
      assertTools(rotate.missing);
      const log = path.join(dir, 'access.log');
      const idx = new RecordIndex(path.join(dir, 'i.db'));
      writeFileSync(log, lines(0, 300));
      await ingestAll(idx);
      appendFileSync(log, lines(300, 400)); // written, not yet read, when the rotation comes
      logrotate(mode);
      writeFileSync(log, lines(400, 450), { flag: 'a' });
      await ingestAll(idx);
      logrotate(mode); // .1 -> .2.gz, access.log -> .1
      appendFileSync(log, lines(450, 460));
      await ingestAll(idx);
      await ingestAll(idx);
      assert.ok(readdirSync(dir).includes('access.log.2.gz'), 'logrotate compressed the older archive');
      assert.equal(stored(idx), range(0, 460), 'every line once');
      idx.close();
    },
  );
}

t('kill -9 of `claw-trace ingest` at random points: the index equals the log line for line', async () => {
  const N = 150_000;
  const log = path.join(dir, 'access.log');
  writeFileSync(log, lines(0, N));
  const db = path.join(dir, 'i.db');
  const rnd = prng(Number(process.env.KILL_SEED ?? 9));
  let kills = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--json', log], { stdio: 'ignore' });
    const delay = 80 + Math.floor(rnd() * 400);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timer = setTimeout(() => {
      if (child.kill('SIGKILL')) kills++;
    }, delay);
    await exited;
    clearTimeout(timer);
  }
  const final = spawnSync(process.execPath, [CLI, 'ingest', '--db', db, '--json', log], { encoding: 'utf8' });
  assert.is(final.status, 0, final.stderr);
  const idx = new RecordIndex(db);
  const nums = stored(idx);
  assert.is(nums.length, N, `records (after ${kills} kills)`);
  assert.equal(nums, range(0, N));
  assert.is(idx.files()[0]!.line_no, N);
  idx.close();
  assert.ok(kills >= 3, `the test did kill the ingest (${kills} times)`);
});

t(
  'bulk load: every line once and findable by request ID; a load killed half-way has its mark cleared by the next opener, a live one is left alone',
  async () => {
    const N = 150_000;
    const log = path.join(dir, 'access.log');
    writeFileSync(log, lines(0, N));
    const db = path.join(dir, 'bulk.db');
    // Killed while the load writes through its rollback journal (the journal file is there from
    // its first commit until the load ends), at a random point within it.
    let killedMidLoad = 0;
    const random = prng(3);
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--json', '--bulk', 'always', log], {
        stdio: 'ignore',
      });
      let running = true;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => {
          running = false;
          resolve();
        }),
      );
      while (running && !existsSync(`${db}-journal`)) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, random() * 60));
      const killed = running && existsSync(`${db}-journal`) && child.kill('SIGKILL');
      await exited;
      if (!killed) continue;
      killedMidLoad++;
      // The next opener rolls the hot journal back and puts the index in WAL mode again.
      new RecordIndex(db).close();
      assert.ok(walModeOnDisk(db) && !existsSync(`${db}-journal`), 'recovered by the next opener');
    }
    assert.ok(killedMidLoad >= 2, `killed during the load (${killedMidLoad} times)`);
    const final = spawnSync(process.execPath, [CLI, 'ingest', '--db', db, '--json', '--bulk', 'always', log], {
      encoding: 'utf8',
    });
    assert.is(final.status, 0, final.stderr);
    // A load with the index to itself writes through a rollback journal and leaves the index in WAL
    // mode (the file says so before anyone opens it again), journal file gone.
    assert.equal((JSON.parse(final.stdout) as IngestSummary).bulk, { journal: 'rollback' });
    assert.ok(walModeOnDisk(db), 'WAL mode again');
    assert.not.ok(existsSync(`${db}-journal`), 'no journal file left behind');
    let idx = new RecordIndex(db);
    assert.equal(stored(idx), range(0, N), 'every line once');
    assert.not.ok(idx.bulkLoading());

    // Another process with the index open: the load stays in WAL mode (and does not wait for it).
    const more = path.join(dir, 'more.log');
    writeFileSync(more, lines(N, N + 1000));
    const beside = spawnSync(process.execPath, [CLI, 'ingest', '--db', db, '--json', '--bulk', 'always', more], {
      encoding: 'utf8',
    });
    assert.is(beside.status, 0, beside.stderr);
    assert.equal((JSON.parse(beside.stdout) as IngestSummary).bulk, { journal: 'wal' });
    assert.equal(stored(idx), range(0, N + 1000));
    idx.close();

    // Opened while a rollback-journal load runs (an agent starting, a lookup): the index goes back
    // to WAL mode under the load, which carries on in it; nothing lost, nothing twice.
    const later = path.join(dir, 'later.log');
    writeFileSync(later, lines(N + 1000, 2 * N));
    const loading = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--json', '--bulk', 'always', later], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    loading.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const loaded = new Promise<number | null>((resolve) => loading.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 10_000;
    // The switch from WAL to the rollback journal makes its journal file a moment before it rewrites the header.
    const inRollback = () => existsSync(`${db}-journal`) && !walModeOnDisk(db);
    while (!inRollback() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(inRollback(), 'the load writes through a rollback journal');
    idx = new RecordIndex(db);
    assert.ok(walModeOnDisk(db), 'the opener put the index back in WAL mode');
    assert.is(await loaded, 0);
    assert.equal((JSON.parse(out) as IngestSummary).bulk, { journal: 'rollback' });
    assert.equal(stored(idx), range(0, 2 * N));
    assert.not.ok(existsSync(`${db}-journal`), 'no journal file left behind');

    // A load that is still running (its process alive) keeps its mark; once it is gone, the next opener clears it.
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    idx.db
      .prepare(`INSERT INTO meta (key, value) VALUES ('bulk_load', ?)`)
      .run(JSON.stringify({ pid: sleeper.pid, host: hostname(), since: Date.now() }));
    idx.close();
    idx = new RecordIndex(db);
    assert.ok(idx.bulkLoading(), 'a live load is left alone');
    idx.close();
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    idx = new RecordIndex(db);
    assert.not.ok(idx.bulkLoading(), "a dead load's mark is cleared");
    idx.close();

    // Lookups by request ID after a bulk load.
    const jdb = path.join(dir, 'bulk-json.db');
    assert.is(
      spawnSync(process.execPath, [CLI, 'ingest', '--db', jdb, '--bulk', 'always', fixture('nginx', 'claw_json.log')])
        .status,
      0,
    );
    const r = spawnSync(process.execPath, [CLI, '0a251a1eb55548acadd21e5ddb31ab82', '--db', jdb, '--json'], {
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    // Since schema 4 the IDs are sorted runs written with each commit: nothing was dropped or rebuilt.
    assert.match(r.stdout, /0a251a1eb55548acadd21e5ddb31ab82/);
  },
);

t(
  'a backfill parsed on its own thread stores exactly what the one-thread path stores (records, IDs, errors, checkpoints); a .gz too',
  async () => {
    // Over PARSE_THREAD_MIN_BYTES (8 MiB), with unreadable lines and a partial last line.
    const json = readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n').filter(Boolean);
    const out: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 9 * 1024 * 1024; i++) {
      const line =
        i % 997 === 5 ? 'garbage {' : json[i % json.length]!.replace(/"req_id":"[^"]*"/, `"req_id":"thread-${i}"`);
      out.push(line);
      bytes += line.length + 1;
    }
    const log = path.join(dir, 'big.log');
    writeFileSync(log, `${out.join('\n')}\n{"partial":`);
    // An archive goes to the thread when its size x 8 (the lines it may hold) is 8 MiB or more:
    // random IDs, so that it compresses only to about that (1 MiB or more).
    const rand = prng(14);
    const hex = () =>
      Math.floor(rand() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    const gz = path.join(dir, 'big.log.1.gz');
    const gzLines = [...out, ...out].map((l) =>
      l
        .replace(/"req_id":"[^"]*"/, `"req_id":"${hex()}${hex()}${hex()}${hex()}"`)
        .replace(/"user_agent":"/, `"user_agent":"${hex()}${hex()}${hex()}${hex()}${hex()}${hex()}${hex()}${hex()} `),
    );
    writeFileSync(gz, gzipSync(`${gzLines.join('\n')}\n`));
    assert.ok(statSync(gz).size * 8 >= 8 * 1024 * 1024, `${statSync(gz).size} bytes of .gz`);
    const dump = (db: string) => {
      const idx = new RecordIndex(db);
      // Every line stored (with a row or in its block alone), in file-and-offset order.
      const rows = idx
        .search({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1_000_000 })
        .map(({ id, line_no, time, source, request_id, status, raw }) => ({
          id,
          line_no,
          time,
          source,
          request_id,
          status,
          raw,
        }))
        .sort((x, y) => x.id - y.id);
      assert.is(rows.length, storedLines(idx.db).length);
      const errs = idx.db.prepare(`SELECT reason, count FROM parse_errors ORDER BY reason`).all();
      const files = idx.files().map((f) => [f.path, f.offset, f.line_no]);
      const probe = rows[5000]!.request_id as string;
      const found = idx
        .byRequestId(probe)
        .map((r) => r.raw)
        .filter((raw) => raw === rows[5000]!.raw);
      idx.close();
      return { rows, errs, files, found };
    };
    const run = (db: string, thread: string | undefined) => {
      const env = { ...process.env, CLAW_TRACE_PARSE_THREAD: thread };
      if (thread === undefined) delete env.CLAW_TRACE_PARSE_THREAD;
      const r = spawnSync(
        process.execPath,
        [CLI, 'ingest', '--db', db, '--json', '--format', 'nginx-claw_json', gz, log],
        { encoding: 'utf8', env },
      );
      assert.is(r.status, 0, r.stderr);
      return { ...dump(db), parseThread: (JSON.parse(r.stdout) as { parseThread?: boolean }).parseThread };
    };
    const threaded = run(path.join(dir, 'thread.db'), '1');
    const gzOnly = spawnSync(process.execPath, [CLI, 'ingest', '--db', path.join(dir, 'gz.db'), '--json', gz], {
      encoding: 'utf8',
      env: { ...process.env, CLAW_TRACE_PARSE_THREAD: '1' },
    });
    assert.is(gzOnly.status, 0, gzOnly.stderr);
    assert.is((JSON.parse(gzOnly.stdout) as { parseThread?: boolean }).parseThread, true, 'the .gz on the thread');
    const single = run(path.join(dir, 'single.db'), '0');
    assert.is(threaded.parseThread, true, 'CLAW_TRACE_PARSE_THREAD=1: parsed on its own thread');
    assert.is(single.parseThread, undefined, 'CLAW_TRACE_PARSE_THREAD=0: parsed on the writing thread');
    // Without the variable: on its own thread where the machine has a second core.
    const byDefault = run(path.join(dir, 'default.db'), undefined);
    assert.is(byDefault.parseThread, availableParallelism() >= 2 ? true : undefined, 'by default: by cores');
    assert.ok(JSON.stringify(byDefault.rows) === JSON.stringify(single.rows), 'the same rows by default');
    assert.ok(threaded.rows.length > 9000, `${threaded.rows.length} records`);
    assert.equal(threaded.files, single.files, 'the same checkpoints (the partial last line left for later)');
    assert.equal(threaded.errs, single.errs);
    assert.ok(threaded.errs.length > 0, 'unreadable lines counted');
    assert.equal(threaded.found.length, 1, 'found by request ID');
    assert.ok(JSON.stringify(threaded.rows) === JSON.stringify(single.rows), 'the same rows');
  },
);

t.run();
