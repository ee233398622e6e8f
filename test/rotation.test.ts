/**
 * "No line lost, none twice" when rotation and restarts overlap (issue 13), on the agent as a
 * process: rotation while it is stopped (rename + create and copytruncate, a single path and a
 * glob), rotation while it starts, SIGHUP right after a rotation, and a rename between the
 * identification of a file and its read.
 */

import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess } from '../fixtures/lab/lab.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex, storedLineCount, storedLines } from '../src/store/recordIndex.js';
import Database from '../src/store/sqlite.js';
import { Tailer } from '../src/tail/tailer.js';
import { combinedLine, lineNumberOf } from './helpers.js';
import { type AgentProcess, httpGet, startAgentProcess } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('rotation');
let dir = '';
const agents: AgentProcess[] = [];
let dbOfTest = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-rot-'));
  dbOfTest = '';
});
t.after.each(async () => {
  for (const a of agents.splice(0)) await stopProcess(a.p, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Lines from..to-1 (1-based request numbers in the script are these numbers). */
const lines = (from: number, to: number) =>
  `${Array.from({ length: to - from }, (_, k) => combinedLine(from + k)).join('\n')}\n`;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The request numbers stored (sorted, duplicates kept) and the gaps recorded, read beside the agent. */
function look(db: string): { stored: number[]; gaps: number } {
  if (!existsSync(db)) return { stored: [], gaps: 0 };
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    d.pragma('busy_timeout = 5000');
    const stored = storedLines(d)
      .map(lineNumberOf)
      .sort((a, b) => a - b);
    const gaps = d.prepare('SELECT coalesce(sum(gaps), 0) FROM files').pluck().get() as number;
    return { stored, gaps };
  } catch {
    return { stored: [], gaps: 0 }; // not created yet
  } finally {
    d.close();
  }
}

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) {
      const got = dbOfTest ? look(dbOfTest).stored : [];
      assert.unreachable(
        `timed out waiting for ${what} (${got.length} stored, ${got.length - new Set(got).size} twice)`,
      );
    }
    await sleep(25);
  }
}

const agentYaml = (db: string, source: string) =>
  `index: ${db}\nsources:\n  - path: "${source}"\nlog: { level: info }\n`;
async function agent(db: string, source: string): Promise<AgentProcess> {
  dbOfTest = db;
  const a = await startAgentProcess(dir, 'agent', agentYaml(db, source), {}, 30_000);
  agents.push(a);
  return a;
}
async function sigterm(a: AgentProcess): Promise<void> {
  await stopProcess(a.p, 'SIGTERM', 15_000);
  assert.is(a.p.exitCode, 0, `exit 0 on SIGTERM\n${a.stderr()}`);
}

type Rotation = 'create' | 'copytruncate';
/** logrotate itself, forced, with the kind of rotation asked for (its state file in the test folder). */
function logrotate(log: string, kind: Rotation, extra = ''): void {
  const conf = path.join(dir, `lr-${kind}.conf`);
  writeFileSync(conf, `${log} {\n  rotate 50\n  ${kind}\n  missingok\n${extra}}\n`);
  const r = spawnSync('logrotate', ['-f', '-s', path.join(dir, 'lr.state'), conf], { encoding: 'utf8' });
  assert.is(r.status, 0, `logrotate: ${r.stderr}`);
}

const withLogrotate = testNeeding(['logrotate'], 'rotation.test (logrotate)', t);

for (const kind of ['create', 'copytruncate'] as Rotation[]) {
  for (const glob of [false, true]) {
    withLogrotate.run(
      `the issue's script, ${kind} while stopped, ${glob ? 'a glob' : 'a single path'}: all 500 lines once${kind === 'copytruncate' ? ', the truncate recorded as a gap' : ', no gap'}`,
      async () => {
        assertTools(withLogrotate.missing);
        const log = path.join(dir, 'access.log');
        const db = path.join(dir, 'i.db');
        writeFileSync(log, '');
        const source = glob ? path.join(dir, 'access.log*') : log;
        let a = await agent(db, source); // first start on an empty index and an empty file
        appendFileSync(log, lines(1, 101));
        await waitFor('lines 1-100', () => look(db).stored.length === 100);
        await sigterm(a);
        appendFileSync(log, lines(101, 201));
        logrotate(log, kind); // create: mv access.log access.log.1 && touch access.log; copytruncate: cp + truncate
        appendFileSync(log, lines(201, 401));
        a = await agent(db, source);
        appendFileSync(log, lines(401, 501));
        await waitFor('all 500 lines', () => look(db).stored.length >= 500);
        await sleep(300); // nothing more arrives (a second copy would)
        await sigterm(a);
        const { stored, gaps } = look(db);
        assert.equal(stored, range(1, 501), 'every line once');
        if (kind === 'create') assert.is(gaps, 0, 'a rename loses nothing: no gap');
        else {
          assert.is(gaps, 1, 'the copytruncate is recorded once');
          assert.match(a.stderr(), /truncated in place \(copytruncate\)/, 'and said at warn');
        }
      },
    );
  }
}

withLogrotate.run('rotation while the agent starts (a restart): nothing lost, nothing twice', async () => {
  assertTools(withLogrotate.missing);
  const log = path.join(dir, 'access.log');
  const db = path.join(dir, 'i.db');
  writeFileSync(log, '');
  let a = await agent(db, log);
  appendFileSync(log, lines(0, 100));
  await waitFor('the first lines', () => look(db).stored.length === 100);
  await sigterm(a);
  // Start, and rotate while it starts: before it listens, while it positions and reads.
  const starting = agent(db, log);
  let n = 100;
  const write = (k: number) => {
    appendFileSync(log, lines(n, n + k));
    n += k;
  };
  write(100);
  for (let i = 0; i < 4; i++) {
    await sleep(40);
    write(50);
    logrotate(log, 'create');
    write(50);
  }
  a = await starting;
  write(100);
  await waitFor(`${n} lines`, () => look(db).stored.length >= n);
  await sleep(300);
  await sigterm(a);
  assert.equal(look(db).stored, range(0, n));
  assert.is(look(db).gaps, 0);
});

withLogrotate.run(
  'SIGHUP right after a rotation (a single path): the rotated-away tail and the new file are read, once',
  async () => {
    assertTools(withLogrotate.missing);
    const log = path.join(dir, 'access.log');
    const db = path.join(dir, 'i.db');
    writeFileSync(log, '');
    const a = await agent(db, log);
    appendFileSync(log, lines(0, 100));
    await waitFor('the first lines', () => look(db).stored.length === 100);
    let n = 100;
    for (let round = 0; round < 3; round++) {
      appendFileSync(log, lines(n, n + 100));
      logrotate(log, round === 1 ? 'copytruncate' : 'create');
      a.p.kill('SIGHUP'); // at once: the tailer is rebuilt while the rotation is fresh
      appendFileSync(log, lines(n + 100, n + 150));
      n += 150;
      await waitFor(`${n} lines after SIGHUP ${round + 1}`, () => look(db).stored.length >= n);
    }
    await sleep(300);
    await sigterm(a);
    assert.equal(look(db).stored, range(0, n));
    assert.match(a.stderr(), /config reloaded/);
  },
);

t("a rename between identifying a file and reading it: the bytes read are the identified file's", async () => {
  const log = path.join(dir, 'access.log');
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  try {
    writeFileSync(log, lines(0, 10));
    await intakeFile(idx, log);
    appendFileSync(log, lines(10, 20));
    // Between identify and read: logrotate renames it and a new file takes the name.
    const r = await intakeFile(idx, log, {
      afterIdentify: () => {
        renameSync(log, `${log}.1`);
        writeFileSync(
          log,
          `${lines(1000, 1003)}# a longer line that would be cut in the middle by the old checkpoint\n`,
        );
      },
    });
    assert.is(r.records, 10);
    const stored = () =>
      storedLines(idx.db)
        .map(lineNumberOf)
        .sort((a, b) => a - b);
    assert.equal(stored(), range(0, 20), "the old file's lines 10-19, none of the new file's");
    // The new file is read as itself from its start; the old one (now .1) has nothing new.
    const next = await intakeFile(idx, log);
    assert.is(next.records, 3);
    assert.is((await intakeFile(idx, `${log}.1`)).records, 0);
    assert.equal(stored(), [...range(0, 20), 1000, 1001, 1002]);
    assert.equal(
      idx.files().map((f) => f.gaps),
      [0, 0],
      'a rename is no gap',
    );
  } finally {
    idx.close();
  }
});

t('a followed file renamed between identify and read, repeatedly (tailer hook): every line once', async () => {
  const log = path.join(dir, 'access.log');
  const idx = new RecordIndex(path.join(dir, 'i.db'));
  writeFileSync(log, '');
  let n = 0;
  let rotations = 0;
  let armed = false;
  const tailer = new Tailer(idx, {
    sources: [{ path: path.join(dir, 'access.log*') }],
    pollMs: 100,
    afterIdentify: () => {
      if (!armed) return;
      armed = false;
      rotations++;
      renameSync(log, `${log}.${rotations}`);
      writeFileSync(log, lines(n, n + 5));
      n += 5;
    },
  });
  try {
    await tailer.start();
    for (let i = 0; i < 5; i++) {
      appendFileSync(log, lines(n, n + 20));
      n += 20;
      armed = true;
      await waitFor('the rename to happen', () => !armed);
      await waitFor(`${n} lines`, () => storedLineCount(idx.db) >= n);
    }
    await sleep(300);
    await tailer.settle();
    const stored = storedLines(idx.db)
      .map(lineNumberOf)
      .sort((a, b) => a - b);
    assert.equal(stored, range(0, n));
    assert.is(
      idx.files().reduce((s, f) => s + f.gaps, 0),
      0,
    );
  } finally {
    await tailer.stop();
    idx.close();
  }
});

// The 180 s soak's lost files: a single path sees only its own name, so a file that held the
// name between two reads of it (two rotations during one read, which grows as archives pile up
// and each rotation's search of the folder takes longer) was never read.
t('two rotations during one read of a single path: the file that held the name in between is read whole', async () => {
  const log = path.join(dir, 'access.log');
  dbOfTest = path.join(dir, 'i.db');
  const idx = new RecordIndex(dbOfTest);
  writeFileSync(log, '');
  let n = 0;
  const write = (k: number) => {
    appendFileSync(log, lines(n, n + k));
    n += k;
  };
  let armed = false;
  const tailer = new Tailer(idx, {
    sources: [{ path: log }],
    pollMs: 100,
    afterIdentify: () => {
      if (!armed) return;
      armed = false;
      // logrotate create + delaycompress, twice, while the read of W is held.
      renameSync(log, `${log}.1`); // W
      write(30); // X, created and written...
      renameSync(`${log}.1`, `${log}.2`);
      writeFileSync(`${log}.2.gz`, gzipSync(readFileSync(`${log}.2`)));
      rmSync(`${log}.2`);
      renameSync(log, `${log}.1`); // ...and rotated away before the tailer looks again
      write(20); // Y
    },
  });
  try {
    await tailer.start();
    write(40);
    await waitFor('40 lines', () => storedLineCount(idx.db) >= 40);
    armed = true;
    write(10); // W's last lines: their read is the one held
    await waitFor('the rotations to happen', () => !armed);
    await waitFor(`${n} lines`, () => storedLineCount(idx.db) >= n, 5000);
    await sleep(300);
    await tailer.settle();
    const stored = storedLines(idx.db)
      .map(lineNumberOf)
      .sort((a, b) => a - b);
    assert.equal(stored, range(0, n), 'W, X and Y, every line once');
    assert.is(
      idx.files().reduce((s, f) => s + f.gaps, 0),
      0,
      'renames are no gap',
    );
  } finally {
    await tailer.stop();
    idx.close();
  }
});

// The same file, when the agent was killed before its next read of the path: the index's newest
// time (a later commit of another file) is past the file's last write, so "written since the last
// read" missed it. A restart of a single path reads what was written since the very first start.
t('a restart of a single path reads a file that held the name unseen, even if the index committed later', async () => {
  const log = path.join(dir, 'access.log');
  dbOfTest = path.join(dir, 'i.db');
  writeFileSync(log, '');
  let n = 0;
  const write = (k: number) => {
    appendFileSync(log, lines(n, n + k));
    n += k;
  };
  const count = (idx: RecordIndex) => storedLineCount(idx.db);
  const run = async (fn: (idx: RecordIndex) => Promise<void>) => {
    const idx = new RecordIndex(dbOfTest);
    const tl = new Tailer(idx, { sources: [{ path: log }], pollMs: 100 });
    try {
      await tl.start();
      await fn(idx);
      await tl.settle();
    } finally {
      await tl.stop();
      idx.close();
    }
  };
  await run(async (idx) => {
    write(40);
    await waitFor('40 lines', () => count(idx) >= 40);
    // The first start was an hour ago; the agent ran since.
    idx.setMeta('follow_started', new Date(Date.now() - 3_600_000).toISOString());
  });
  // Stopped (a kill -9): W rotated, X written and rotated too, Y at the name.
  renameSync(log, `${log}.1`);
  write(30);
  renameSync(`${log}.1`, `${log}.2`);
  renameSync(log, `${log}.1`);
  write(20);
  // X's last write came before the index's last commit (as when the tailer missed it while
  // running and committed other reads after it, then was killed).
  const before = new Date(Date.now() - 600_000);
  utimesSync(`${log}.1`, before, before);
  await run(async (idx) => {
    await waitFor(`${n} lines`, () => count(idx) >= n, 5000);
    await sleep(200);
    const stored = storedLines(idx.db)
      .map(lineNumberOf)
      .sort((a, b) => a - b);
    assert.equal(stored, range(0, n), 'W, X and Y, every line once');
  });
});

withLogrotate.run(
  'logrotate olddir (rotated files moved to another folder): with rotatedDir a single path loses nothing, while stopped or running',
  async () => {
    assertTools(withLogrotate.missing);
    const log = path.join(dir, 'access.log');
    dbOfTest = path.join(dir, 'i.db');
    mkdirSync(path.join(dir, 'old'));
    writeFileSync(log, '');
    let n = 0;
    const write = (k: number) => {
      appendFileSync(log, lines(n, n + k));
      n += k;
    };
    const count = (idx: RecordIndex) => storedLineCount(idx.db);
    const rotate = () => logrotate(log, 'create', `  olddir ${path.join(dir, 'old')}\n  compress\n  delaycompress\n`);
    const run = async (fn: (idx: RecordIndex) => Promise<void>) => {
      const idx = new RecordIndex(dbOfTest);
      const tl = new Tailer(idx, { sources: [{ path: log, rotatedDir: 'old' }], pollMs: 100 });
      try {
        await tl.start();
        await fn(idx);
        await tl.settle();
      } finally {
        await tl.stop();
        idx.close();
      }
    };
    await run(async (idx) => {
      write(100);
      await waitFor('100 lines', () => count(idx) >= 100);
    });
    write(100); // while stopped: written, then moved to old/ by the rotation
    rotate();
    write(200);
    await run(async (idx) => {
      await waitFor('400 lines', () => count(idx) >= 400);
      write(50);
      rotate(); // while running: the tail of the old file is read in old/
      write(50);
      rotate(); // and again, compressing the first one there
      write(50);
      await waitFor(`${n} lines`, () => count(idx) >= n, 5000).catch((e: Error) => {
        const got = new Set(storedLines(idx.db).map(lineNumberOf));
        const missing = range(0, n).filter((k) => !got.has(k));
        throw new Error(`${e.message}; missing ${missing[0]}..${missing[missing.length - 1]} (${missing.length})`);
      });
      await sleep(300);
      const stored = storedLines(idx.db)
        .map(lineNumberOf)
        .sort((a, b) => a - b);
      assert.equal(stored, range(0, n), 'every line once');
    });
    assert.ok(existsSync(path.join(dir, 'old', 'access.log.2.gz')), 'logrotate moved and compressed them in old/');
  },
);

t(
  'a recycled inode is no gap: the newest row of that inode read at another path is not the one truncated',
  async () => {
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    try {
      const a = path.join(dir, 'a.log');
      writeFileSync(a, lines(0, 10));
      await intakeFile(idx, a);
      // The same inode now holds other content at another path (as after rename, delete, reuse).
      renameSync(a, path.join(dir, 'b.log'));
      await intakeFile(idx, path.join(dir, 'b.log'));
      writeFileSync(path.join(dir, 'b.log'), lines(100, 110)); // rewritten in place, same inode...
      const r = await intakeFile(idx, path.join(dir, 'b.log'));
      assert.ok(r.gap, 'truncated in place at the path it was read at: a gap');
      assert.is(r.gap!.fileId, idx.files()[0]!.id, 'on the file that was cut');
      // ...while a row of that inode read at another path (renamed away, the inode recycled) is not cut.
      const c = path.join(dir, 'c.log');
      renameSync(path.join(dir, 'b.log'), c);
      await intakeFile(idx, c);
      idx.db.prepare(`UPDATE files SET path = ? WHERE id = ?`).run(path.join(dir, 'elsewhere.log'), idx.files()[1]!.id);
      writeFileSync(c, lines(200, 210));
      const again = await intakeFile(idx, c);
      assert.is(again.gap, undefined, 'no gap for an inode last read at another path');
      assert.is(again.records, 10);
    } finally {
      idx.close();
    }
  },
);

for (const compress of [false, true])
  t(
    `a copytruncate${compress ? ' + compress' : ''} whose ${compress ? 'archive' : 'copy'} is read before the truncated original: still a gap, every line once`,
    async () => {
      // The copy's read used to take the row when the original no longer held its content (already
      // truncated): the original's next read then looked like a new file, and the truncate went unsaid.
      const idx = new RecordIndex(path.join(dir, 'i.db'));
      try {
        const log = path.join(dir, 'access.log');
        writeFileSync(log, lines(0, 10));
        await intakeFile(idx, log);
        appendFileSync(log, lines(10, 15)); // written, not read yet: the copy must bring them
        const copy = compress ? `${log}.1.gz` : `${log}.1`;
        writeFileSync(copy, compress ? gzipSync(readFileSync(log)) : readFileSync(log));
        truncateSync(log, 0);
        appendFileSync(log, lines(15, 20));
        assert.is((await intakeFile(idx, copy)).records, 5, 'the copy: the lines after the checkpoint');
        const original = await intakeFile(idx, log);
        assert.ok(original.gap, 'the truncate is a gap');
        assert.is(original.records, 5);
        assert.is(
          idx.files().reduce((n, f) => n + f.gaps, 0),
          1,
        );
        assert.equal(
          storedLines(idx.db)
            .map(lineNumberOf)
            .sort((a, b) => a - b),
          range(0, 20),
        );
      } finally {
        idx.close();
      }
    },
  );

t('a restart reads a file that appeared while stopped from its start; only the very first start skips', async () => {
  const db = path.join(dir, 'i.db');
  writeFileSync(path.join(dir, 'a.log'), lines(0, 10));
  const run = async (fn: (idx: RecordIndex, tl: Tailer) => Promise<void>) => {
    const idx = new RecordIndex(db);
    const tl = new Tailer(idx, { sources: [{ path: path.join(dir, '*.log') }], pollMs: 100 });
    try {
      await tl.start();
      await fn(idx, tl);
    } finally {
      await tl.stop();
      idx.close();
    }
  };
  const count = (idx: RecordIndex) => storedLineCount(idx.db);
  await run(async (idx) => {
    assert.is(count(idx), 0, 'first start: existing lines are not backfilled');
  });
  writeFileSync(path.join(dir, 'b.log'), lines(10, 20)); // while stopped
  appendFileSync(path.join(dir, 'a.log'), lines(20, 25));
  await run(async (idx) => {
    assert.is(count(idx), 15, 'the new file whole, the known one from its checkpoint');
  });
  // An index with files but no mark (made by ingest, or by an older claw-trace) is no first start.
  const idx = new RecordIndex(db);
  idx.db.prepare(`DELETE FROM meta WHERE key = 'follow_started'`).run();
  idx.close();
  writeFileSync(path.join(dir, 'c.log'), lines(30, 33));
  await run(async (i) => {
    assert.is(count(i), 18);
  });
});

// The agent's /metrics counts the gaps.
withLogrotate.run('a copytruncate while running is a gap on /metrics, logged at warn; a rename is not', async () => {
  assertTools(withLogrotate.missing);
  const log = path.join(dir, 'access.log');
  const db = path.join(dir, 'i.db');
  writeFileSync(log, '');
  const a = await agent(db, log);
  appendFileSync(log, lines(0, 50));
  await waitFor('lines', () => look(db).stored.length === 50);
  logrotate(log, 'create');
  appendFileSync(log, lines(50, 60));
  await waitFor('lines after the rename', () => look(db).stored.length === 60);
  let m = await httpGet(a.port, '/metrics');
  assert.match(m.body, /claw_trace_gaps_total 0/);
  logrotate(log, 'copytruncate');
  appendFileSync(log, lines(60, 70));
  await waitFor('lines after the truncate', () => look(db).stored.length === 70);
  m = await httpGet(a.port, '/metrics');
  assert.match(m.body, /claw_trace_gaps_total 1/);
  await sigterm(a);
  assert.equal(look(db).stored, range(0, 70));
  assert.match(a.stderr(), /"level":40[^\n]*truncated in place/);
});

t.run();
