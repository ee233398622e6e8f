/**
 * Live tailing through every kind of rotation, with real writers: a process appending lines,
 * logrotate, nginx reopening on USR1 while traffic flows, and Caddy rolling its own log.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess, waitForPort } from '../fixtures/lab/lab.js';
import { freePort } from '../fixtures/lab/upstreams.js';
import { RecordIndex, storedLines } from '../src/store/recordIndex.js';
import { Tailer, type TailerOptions } from '../src/tail/tailer.js';
import { combinedLine, lineNumberOf } from './helpers.js';
import { waitFor } from './support/wait.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('tail');
let dir = '';
let idx: RecordIndex;
let tailer: Tailer | undefined;
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-tail-'));
  idx = new RecordIndex(path.join(dir, 'i.db'));
});
t.after.each(async () => {
  await tailer?.stop();
  tailer = undefined;
  idx.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number) =>
  `${Array.from({ length: to - from }, (_, k) => combinedLine(from + k)).join('\n')}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stored = () =>
  storedLines(idx.db)
    .map(lineNumberOf)
    .sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

async function follow(opts: Partial<TailerOptions> & { sources: TailerOptions['sources'] }): Promise<Tailer> {
  const errors: string[] = [];
  tailer = new Tailer(idx, { pollMs: 200, onError: (f, e) => errors.push(`${f}: ${e.message}`), ...opts });
  await tailer.start();
  assert.equal(errors, []);
  return tailer;
}

/** The folder's `*.log`, read from the start, polled every 100 ms, a missing file forgotten after `forgetMissingMs`. */
const followLogs = (forgetMissingMs: number) =>
  follow({ sources: [{ path: path.join(dir, '*.log') }], backfill: true, pollMs: 100, forgetMissingMs });

t('first start begins at the end of existing files; appended lines and partial lines arrive once', async () => {
  const log = path.join(dir, 'access.log');
  writeFileSync(log, lines(0, 100));
  await follow({ sources: [{ path: log }] });
  assert.equal(stored(), [], 'existing lines are not backfilled');
  appendFileSync(log, lines(100, 150) + combinedLine(150).slice(0, 20));
  await waitFor('appended lines', () => stored().length === 50);
  appendFileSync(log, `${combinedLine(150).slice(20)}\n`);
  await waitFor('the completed line', () => stored().length === 51);
  assert.equal(stored(), range(100, 151));
});

t(
  'each write is read on its own change event; no write makes the tailer stat the file or list its folder',
  async () => {
    // chokidar's fs.watch mode read the whole folder of a glob again (readdir, lstat of every entry)
    // on each write to any file in it, and stat a followed file on each change event: with 30
    // rotated files beside the log, a quarter of a core at 100 writes a second. Counted here
    // through node:fs/promises, which chokidar and the tailer use.
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    for (let i = 1; i <= 30; i++) writeFileSync(path.join(dir, `access.log.${i}.gz`), gzipSync(combinedLine(i)));
    const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
    const { readdir, lstat, stat } = fsp;
    let listed = 0;
    let otherLstats = 0; // the tailer lstats the log at each read (a symlink?)
    let logStats = 0;
    Object.assign(fsp, {
      readdir: (...a: Parameters<typeof readdir>) => {
        listed++;
        return readdir(...a);
      },
      lstat: (...a: Parameters<typeof lstat>) => {
        if (String(a[0]) !== log) otherLstats++;
        return lstat(...a);
      },
      stat: (...a: Parameters<typeof stat>) => {
        if (String(a[0]) === log) logStats++;
        return stat(...a);
      },
    });
    syncBuiltinESMExports();
    try {
      // The poll (and chokidar's look at the folder) every 60 s: only the file's own change
      // events can bring the lines in within the wait below.
      let reads = 0;
      await follow({ sources: [{ path: path.join(dir, '*.log') }], pollMs: 60_000, onRead: () => reads++ });
      [listed, otherLstats, logStats, reads] = [0, 0, 0, 0];
      const started = Date.now();
      for (let k = 0; k < 40; k++) {
        appendFileSync(log, lines(k * 10, k * 10 + 10));
        await sleep(25);
      }
      await waitFor('the lines of 40 writes, from change events', () => stored().length === 400, 5000);
      assert.ok(Date.now() - started < 5000);
      assert.equal(stored(), range(0, 400));
      assert.ok(reads >= 2 && reads <= 15, `${reads} reads for 40 writes over 1 s (one at most every 150 ms)`);
      assert.ok(listed <= 1, `the folder was listed ${listed} times for 40 writes`);
      assert.ok(otherLstats <= 1, `${otherLstats} lstat calls of other files for 40 writes`);
      assert.ok(logStats <= reads + 1, `the log stat ${logStats} times for ${reads} reads`);
    } finally {
      Object.assign(fsp, { readdir, lstat, stat });
      syncBuiltinESMExports();
    }
  },
);

t(
  'renamed away, the name made again later (nginx USR1): lines of the renamed file and of the new one come on events',
  async () => {
    // The poll every 60 s: only the folder's events (the rename, the writes, the new file under
    // the name) can bring these lines in within the waits below.
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    await follow({ sources: [{ path: log }], pollMs: 60_000 });
    appendFileSync(log, lines(0, 10));
    await waitFor('the first lines', () => stored().length === 10, 3000);
    const old = openSync(log, 'a');
    renameSync(log, `${log}.1`);
    writeSync(old, lines(10, 20)); // the writer goes on in the renamed file until it reopens
    await waitFor(
      'the lines written into the renamed file, before the name is back',
      () => stored().length === 20,
      3000,
    );
    writeSync(old, lines(20, 25));
    closeSync(old);
    writeFileSync(log, lines(25, 35)); // the reopen creates the name again
    await waitFor('the new file', () => stored().length === 35, 3000);
    assert.equal(stored(), range(0, 35));
  },
);

t('first start without backfill: archives already there are not read either; one rotated in later is', async () => {
  writeFileSync(path.join(dir, 'access.log.2.gz'), gzipSync(lines(0, 50)));
  writeFileSync(path.join(dir, 'access.log'), lines(50, 60));
  await follow({ sources: [{ path: path.join(dir, 'access.log*') }] });
  assert.equal(stored(), []);
  writeFileSync(path.join(dir, 'access.log.3.gz'), gzipSync(lines(100, 110)));
  await waitFor('the new archive', () => stored().length === 10);
  assert.equal(stored(), range(100, 110));
});

t('backfill reads existing files; a file that appears later is read from its start', async () => {
  writeFileSync(path.join(dir, 'a.log'), lines(0, 10));
  await follow({ sources: [{ path: path.join(dir, '*.log') }], backfill: true });
  assert.equal(stored(), range(0, 10));
  writeFileSync(path.join(dir, 'b.log'), lines(10, 20));
  await waitFor('the new file', () => stored().length === 20);
});

t(
  'a rotation of a single path reads the rotated names (app-<date>.log), not another log sharing its stem (app-debug.log)',
  async () => {
    const log = path.join(dir, 'app.log');
    const debug = path.join(dir, 'app-debug.log');
    writeFileSync(log, '');
    writeFileSync(debug, '');
    await follow({ sources: [{ path: log }] });
    appendFileSync(log, lines(0, 10));
    await waitFor('the first lines', () => stored().length === 10);
    appendFileSync(debug, lines(900, 905)); // another log, written since the last read
    // Rotated twice between two reads (logrotate's dateext with `extension .log`, then again):
    // the first rotated file is found by its inode, the second as a rotated name written since.
    appendFileSync(log, lines(10, 15));
    renameSync(log, path.join(dir, 'app-20261126.log'));
    writeFileSync(log, lines(15, 20));
    renameSync(log, path.join(dir, 'app-20261127.log'));
    writeFileSync(log, lines(20, 25));
    await waitFor('the rotated files and the new one', () => stored().length >= 25, 10_000);
    await sleep(500);
    assert.equal(stored(), range(0, 25), 'nothing of app-debug.log');
  },
);

t('rename + create while the writer still appends to the old file: every line once', async () => {
  const log = path.join(dir, 'access.log');
  writeFileSync(log, '');
  await follow({ sources: [{ path: log }] });
  let fd = openSync(log, 'a');
  let n = 0;
  const write = (k: number) => {
    for (let i = 0; i < k; i++) writeSync(fd, `${combinedLine(n++)}\n`);
  };
  write(200);
  await sleep(50);
  renameSync(log, path.join(dir, 'access.log.1')); // rotated away...
  write(100); // ...the writer has not reopened yet: these land in access.log.1
  await sleep(300);
  closeSync(fd);
  fd = openSync(log, 'a'); // reopen (what nginx does on USR1)
  write(100);
  closeSync(fd);
  await waitFor('all 400 lines', () => stored().length >= 400);
  await sleep(300);
  assert.equal(stored(), range(0, 400));
});

t(
  'a file written without pause is read at most once per readEveryMs: its writes coalesce into few commits',
  async () => {
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    const commits: number[] = [];
    await follow({ sources: [{ path: log }], readEveryMs: 200, onCommit: (records) => commits.push(records.length) });
    const started = Date.now();
    for (let k = 0; k < 100; k++) {
      appendFileSync(log, lines(k * 10, k * 10 + 10)); // 100 writes, one change event each
      await sleep(10);
    }
    await waitFor('all 1,000 lines', () => stored().length >= 1000);
    const elapsed = Date.now() - started;
    assert.equal(stored(), range(0, 1000));
    // One read (and one commit: 1,000 lines fit a batch) per 200 ms, however slow the machine; read
    // on each event, it was one commit per write or two.
    assert.ok(
      commits.length <= Math.ceil(elapsed / 200) + 1,
      `${commits.length} commits in ${elapsed} ms: ${commits.join(', ')}`,
    );
    assert.ok(commits.length >= 2, 'read while it is written, not only at the end');
  },
);

t('a file briefly missing: deleted, then written again from scratch', async () => {
  const log = path.join(dir, 'access.log');
  writeFileSync(log, '');
  await follow({ sources: [{ path: log }] });
  appendFileSync(log, lines(0, 10));
  await waitFor('first lines', () => stored().length === 10);
  unlinkSync(log);
  await sleep(300);
  writeFileSync(log, lines(10, 15));
  await waitFor('lines of the new file', () => stored().length === 15);
  assert.equal(stored(), range(0, 15));
});

t(
  'a glob matching thousands of files (CLAW_MANY_FILES, default 3,000; 10,000 by hand): idle polls only stat them (no read), a change is read, the count is said',
  async () => {
    const many = path.join(dir, 'many');
    mkdirSync(many);
    const N = Number(process.env.CLAW_MANY_FILES ?? 3000);
    for (let i = 0; i < N; i++) writeFileSync(path.join(many, `f${i}.log`), `${combinedLine(i)}\n`);
    let reads = 0;
    let said = 0;
    const began = Date.now();
    await follow({
      sources: [{ path: path.join(many, '*.log') }],
      pollMs: 100,
      backfill: true,
      onRead: () => {
        reads++;
      },
      onManyFiles: (n) => {
        said = n;
      },
    });
    const startMs = Date.now() - began;
    assert.is(stored().length, N);
    await tailer!.settle();
    reads = 0;
    const cpu = process.cpuUsage();
    await sleep(1000); // ten polls of every idle file
    const used = process.cpuUsage(cpu);
    const idleCpuMs = (used.user + used.system) / 1000;
    assert.is(reads, 0, 'an idle file is not opened by the poll');
    appendFileSync(path.join(many, 'f7.log'), `${combinedLine(N)}\n`);
    await waitFor('the appended line', () => stored().length === N + 1);
    assert.is(said, 2001, 'the warning, once, when the limit is passed');
    process.stdout.write(
      `\n  ${N} files: start (backfill) ${startMs} ms, idle CPU ${Math.round(idleCpuMs)} ms per s of 10 polls\n`,
    );
  },
);

t(
  'a followed symlink whose target is rotated in its own folder: the lines written to the old target are read',
  async () => {
    // The rotated inode is looked for where the target is and under its name, not beside the link.
    const logs = path.join(dir, 'logs');
    const real = path.join(dir, 'real');
    mkdirSync(logs);
    mkdirSync(real);
    const target = path.join(real, 'app.log');
    writeFileSync(target, lines(0, 10));
    symlinkSync(target, path.join(logs, 'app.log'));
    await follow({ sources: [{ path: path.join(logs, '*.log'), followSymlinks: true }], backfill: true, pollMs: 100 });
    await waitFor('the first lines', () => stored().length === 10);
    const old = openSync(target, 'a');
    renameSync(target, `${target}.1`); // the writer goes on in the renamed file until it reopens
    writeFileSync(target, lines(30, 40));
    writeSync(old, lines(10, 30));
    closeSync(old);
    await waitFor('every line of both targets', () => stored().length === 40);
    await sleep(300);
    assert.equal(stored(), range(0, 40), 'each line once');
  },
);

t(
  'a single path that is a symlink re-pointed to the next file (ln -sfn): every line of both, and it goes on',
  async () => {
    const logs = path.join(dir, 'logs');
    mkdirSync(logs);
    const current = path.join(logs, 'current.log');
    const day = (n: number) => path.join(logs, `app-2026-11-2${n}.log`);
    writeFileSync(day(6), lines(0, 10));
    symlinkSync(day(6), current);
    const errors: string[] = [];
    tailer = new Tailer(idx, {
      sources: [{ path: current }],
      backfill: true,
      pollMs: 100,
      onError: (f, e) => errors.push(`${f}: ${e.message}`),
    });
    await tailer.start();
    await waitFor('the first day', () => stored().length === 10);
    for (const n of [7, 8]) {
      const k = (n - 6) * 20;
      appendFileSync(day(n - 1), lines(k - 10, k)); // the last lines of the day, unread at the switch
      writeFileSync(day(n), lines(k, k + 10));
      symlinkSync(day(n), `${current}.tmp`);
      renameSync(`${current}.tmp`, current); // ln -sfn
      await waitFor(`day ${n}`, () => stored().length === k + 10);
    }
    await waitFor('every line of the three days', () => stored().length === 50);
    await sleep(300);
    assert.equal(stored(), range(0, 50), 'each line once');
    assert.equal(errors, [], 'the next day is inside the configured folder: no "outside" said');
  },
);

t(
  'a deleted file of a glob is forgotten after forgetMissingMs (no stat per poll); made again, it is read',
  async () => {
    // Caddy deletes its rolled files past roll_keep, logrotate past `rotate N`: each such file of a
    // glob was followed for good, a stat per poll each. Counted through node:fs/promises.
    const gone = path.join(dir, 'old.log');
    const live = path.join(dir, 'access.log');
    writeFileSync(gone, lines(0, 5));
    writeFileSync(live, lines(100, 105));
    const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
    const { stat } = fsp;
    let goneStats = 0;
    Object.assign(fsp, {
      stat: (...a: Parameters<typeof stat>) => {
        if (String(a[0]) === gone) goneStats++;
        return stat(...a);
      },
    });
    syncBuiltinESMExports();
    try {
      const t0 = await followLogs(1000);
      await waitFor('both files', () => stored().length === 10);
      unlinkSync(gone);
      const deleted = Date.now();
      await waitFor('the deleted file no longer followed', () => !t0.followed().includes(gone), 10_000, 50);
      assert.ok(Date.now() - deleted >= 1000, 'kept while missing for less than forgetMissingMs');
      assert.ok(t0.followed().includes(live), 'the other file of the glob still followed');
      await sleep(300);
      goneStats = 0;
      await sleep(1000); // ten polls
      assert.is(goneStats, 0, 'no stat of the forgotten file at the polls');
      // The file beside it is still read on its events, and the name made again is found and read.
      appendFileSync(live, lines(105, 107));
      writeFileSync(gone, lines(5, 8));
      await waitFor('the live file and the name made again', () => stored().length === 15, 10_000);
      assert.equal(stored(), [...range(0, 8), ...range(100, 107)]);
    } finally {
      Object.assign(fsp, { stat });
      syncBuiltinESMExports();
    }
  },
);

t(
  'a symlink of a glob whose target is deleted stays followed past forgetMissingMs; the target made again is read',
  async () => {
    // The link's name never goes: nothing but the tailer's own stat would notice its target back.
    const target = path.join(dir, 'real.txt');
    writeFileSync(target, lines(0, 3));
    symlinkSync(target, path.join(dir, 'link.log'));
    const t0 = await followLogs(300);
    await waitFor('the first lines', () => stored().length === 3);
    unlinkSync(target);
    await sleep(1200);
    assert.ok(t0.followed().includes(path.join(dir, 'link.log')), 'the dangling link still followed');
    writeFileSync(target, lines(3, 6));
    await waitFor('the new target read through the link', () => stored().length === 6, 10_000);
    assert.equal(stored(), range(0, 6));
  },
);

t('a folder removed and made again: once its file is found again, writes are read on their change events', async () => {
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  const log = path.join(logs, 'app.log');
  writeFileSync(log, lines(0, 10));
  // A 2 s poll: a line that waited for it would take up to 2 s.
  await follow({ sources: [{ path: path.join(logs, '*.log') }], backfill: true, pollMs: 2000 });
  await waitFor('the first lines', () => stored().length === 10);
  rmSync(logs, { recursive: true });
  await sleep(300);
  mkdirSync(logs);
  writeFileSync(log, lines(100, 110));
  await waitFor('the file in the new folder, found by the poll', () => stored().length === 20, 10_000);
  const waited: number[] = [];
  for (let k = 0; k < 8; k++) {
    const before = stored().length;
    const at = Date.now();
    appendFileSync(log, lines(200 + k, 201 + k));
    await waitFor('the appended line', () => stored().length === before + 1, 5000, 10);
    waited.push(Date.now() - at);
    await sleep(350);
  }
  assert.ok(
    Math.max(...waited) < 1000,
    `each line read on its change event, not at the poll: waited ${waited.join(', ')} ms`,
  );
});

t(
  'a source that is a symlink to a file outside the configured folders is not read (said once), unless followSymlinks',
  async () => {
    const logs = path.join(dir, 'logs');
    const outside = path.join(dir, 'outside');
    mkdirSync(logs);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.log'), lines(0, 5));
    symlinkSync(path.join(outside, 'secret.log'), path.join(logs, 'access.log'));
    writeFileSync(path.join(logs, 'real-2026.log'), lines(100, 103));
    symlinkSync(path.join(logs, 'real-2026.log'), path.join(logs, 'current.log')); // inside: read
    const errors: string[] = [];
    tailer = new Tailer(idx, {
      sources: [{ path: path.join(logs, '*.log') }],
      backfill: true,
      pollMs: 100,
      onError: (f, e) => errors.push(`${f}: ${e.message}`),
    });
    await tailer.start();
    await sleep(300);
    assert.equal(stored(), [100, 101, 102], 'the inside file (once, by whichever name), not the outside one');
    assert.is(errors.length, 1, errors.join('\n'));
    assert.match(
      errors[0]!,
      /access\.log: a symlink to .*outside.*secret\.log, outside the configured folders .*: not read \(followSymlinks: true/,
    );
    await tailer.stop();
    tailer = new Tailer(idx, { sources: [{ path: path.join(logs, '*.log'), followSymlinks: true }], pollMs: 100 });
    await tailer.start();
    await waitFor('the outside file, when asked for', () => stored().length === 8);
  },
);

const rotate = testNeeding(['logrotate'], 'tail.test (logrotate)', t);
rotate.run(
  'logrotate copytruncate while lines flow: none twice, the gap recorded, at most the lines between copy and truncate lost',
  async () => {
    assertTools(rotate.missing);
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    await follow({ sources: [{ path: path.join(dir, 'access.log*') }] });
    let n = 0;
    const writer = setInterval(() => {
      appendFileSync(log, lines(n, n + 20));
      n += 20;
    }, 10);
    await sleep(400);
    writeFileSync(path.join(dir, 'lr.conf'), `${log} {\n  rotate 3\n  copytruncate\n  missingok\n}\n`);
    const r = spawnSync('logrotate', ['-f', '-s', path.join(dir, 'lr.state'), path.join(dir, 'lr.conf')], {
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    await sleep(400);
    clearInterval(writer);
    await waitFor('the tail after rotation', () => stored().at(-1) === n - 1);
    await sleep(300);
    const got = stored();
    assert.equal(got, [...new Set(got)], 'no line twice');
    assert.ok(n - got.length <= 40, `lost ${n - got.length} of ${n} (only those between copy and truncate may go)`);
    assert.ok(
      idx.files().some((f) => f.gaps > 0) || n === got.length,
      'the truncation is recorded as a gap when lines may be missing',
    );
  },
);

const nginxTest = testNeeding(['nginx'], 'tail.test (nginx)', t);
nginxTest.run('nginx reopening its log on USR1 while traffic flows: every request once', async () => {
  assertTools(nginxTest.missing);
  const port = await freePort();
  mkdirSync(path.join(dir, 'tmp'));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log; user root;
events { worker_connections 64; }
http { client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  access_log ${dir}/access.log combined;
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } } }\n`,
  );
  const nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  try {
    await waitFor('nginx', () => {
      try {
        return readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim().length > 0;
      } catch {
        return false;
      }
    });
    await sleep(200);
    await follow({ sources: [{ path: path.join(dir, 'access.log') }] });
    const get = (i: number) =>
      new Promise<void>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/r/${i}`, agent: false }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
    const N = 600;
    for (let i = 0; i < N; i++) {
      if (i === 300) {
        renameSync(path.join(dir, 'access.log'), path.join(dir, 'access.log.1'));
        process.kill(nginx.pid!, 'SIGUSR1'); // logrotate's postrotate for nginx
      }
      await get(i);
    }
    await waitFor(`${N} requests in the index`, () => stored().length >= N);
    await sleep(300);
    assert.equal(stored(), range(0, N));
  } finally {
    await stopProcess(nginx, 'SIGQUIT');
  }
});

const caddyTest = testNeeding(['caddy'], 'tail.test (caddy)', t);
caddyTest.run("Caddy's own roll (rename to access-<time>.log, then gzip): every request once", async () => {
  assertTools(caddyTest.missing);
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'Caddyfile'),
    `{\n\tadmin off\n\tauto_https off\n}\nhttp://:${port} {\n\tbind 127.0.0.1\n\tlog {\n\t\toutput file ${dir}/caddy/access.log {\n\t\t\troll_size 1MiB\n\t\t\troll_keep 10\n\t\t}\n\t\tformat json\n\t}\n\trespond "ok"\n}\n`,
  );
  mkdirSync(path.join(dir, 'caddy'));
  const caddy: ChildProcess = spawn(
    'caddy',
    ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      stdio: 'ignore',
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    },
  );
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const get = (i: number) =>
      new Promise<void>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port,
              path: `/r/${i}`,
              agent,
              headers: { 'user-agent': `roll-test ${'x'.repeat(400)}` },
            },
            (res) => {
              res.resume();
              res.on('end', resolve);
            },
          )
          .on('error', reject);
      });
    await waitForPort(port, caddy, 'caddy');
    await follow({ sources: [{ path: path.join(dir, 'caddy', 'access*.log*') }] });
    const N = 2500; // ~2 MB of access lines: at least one roll
    for (let i = 0; i < N; i += 4) await Promise.all([0, 1, 2, 3].filter((k) => i + k < N).map((k) => get(i + k)));
    agent.destroy();
    await waitFor(`${N} requests in the index`, () => stored().length >= N, 20_000);
    await sleep(500);
    assert.equal(stored(), range(0, N));
    const names = spawnSync('ls', [path.join(dir, 'caddy')], { encoding: 'utf8' }).stdout;
    assert.match(names, /access-.*\.log/, `Caddy rolled the log (${names.trim()})`);
  } finally {
    await stopProcess(caddy, 'SIGTERM');
  }
});

t.run();
