import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordIndex, storedLineCount } from '../src/store/recordIndex.js';
import Database from '../src/store/sqlite.js';
import { terminalSafe, terminalSafeJson } from '../src/util/terminalText.js';
import { combinedLine, fixture, REPO } from './helpers.js';
import { waitFor } from './support/wait.js';

const t = suite('cli');
const CLI = path.join(REPO, 'dist/src/cli/main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let dir = '';
t.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-cli-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t(
  "the installed command runs through its #! line, with the agent's memory settings (young generation capped, one V8 helper thread, two malloc arenas)",
  () => {
    assert.match(
      readFileSync(CLI, 'utf8').split('\n', 1)[0]!,
      /^#!\/usr\/bin\/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --v8-pool-size=1$/,
    );
    const r = spawnSync(CLI, ['--version'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  },
);

t('a reader that leaves early (| head) ends the command quietly, exit 0', async () => {
  const file = path.join(dir, 'many.log');
  writeFileSync(file, `${Array.from({ length: 50_000 }, (_, i) => combinedLine(i)).join('\n')}\n`);
  const child = spawn(process.execPath, [CLI, 'parse', '--format', 'nginx-combined', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.is(stderr, '', 'no EPIPE stack trace');
  assert.is(code, 0);
});

t('parse: garbage between good lines is counted by reason with its place; every good line comes out', () => {
  const good = readFileSync(fixture('nginx', 'combined.log'), 'utf8').split('\n').filter(Boolean);
  const file = path.join(dir, 'mixed.log');
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from(`${good.slice(0, 5).join('\n')}\n`),
      Buffer.from('\x00\x01\x02 binary \xff\xfe garbage\n', 'latin1'),
      Buffer.from(`${good[5]!.slice(0, 40)}\n`), // half-written
      Buffer.from(`${'1'.repeat(1024 * 1024)}\n`), // 1 MB
      Buffer.from(`${good.slice(5).join('\n')}\n`),
    ]),
  );
  const r = run('parse', file);
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { lineNo: number; status: number });
  assert.is(out.length, good.length, 'all good lines, none lost around the bad ones');
  assert.equal(
    out.map((o) => o.status),
    good.map((l) => Number(/" (\d{3}) /.exec(l)![1])),
  );
  assert.match(
    r.stderr,
    new RegExp(`nginx-combined \\(detected\\), ${good.length + 3} lines, ${good.length} records, 3 unreadable`),
  );
  assert.match(r.stderr, new RegExp(`line-too-long\\s+1\\s+first at ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8`));
  assert.match(r.stderr, /format-mismatch\s+1\s+first at .*:6/);
  assert.match(r.stderr, /truncated\s+1\s+first at .*:7/);
});

t('parse --errors prints each bad line with file:line and reason; control bytes never reach the terminal', () => {
  const file = path.join(dir, 'hostile.log');
  writeFileSync(file, '127.0.0.1 - - [22/Nov/2026:13:03:38 +0000] "GET / HTTP/1.1" \x1b[31m\u009b 7 "-" "c"\n');
  const r = run('parse', '--format', 'nginx-combined', '--errors', file);
  assert.is(r.status, 1, 'lines but no record');
  assert.match(r.stderr, /hostile\.log:1: bad-field: /);
  assert.not.match(r.stderr, /[\x1b\u009b]/);
});

t('parse --log-format reads a user layout; usage errors exit 2 with a message', () => {
  const conf = readFileSync(fixture('lab', 'nginx.conf'), 'utf8').match(/log_format custom [\s\S]*?;\n/)![0];
  const ok = run('parse', '--log-format', conf, fixture('nginx', 'custom.log'));
  assert.is(ok.status, 0, ok.stderr);
  assert.is(
    ok.stdout.trim().split('\n').length,
    readFileSync(fixture('nginx', 'custom.log'), 'utf8').trim().split('\n').length,
  );
  const bad = run('parse', '--log-format', "log_format x '$status';", fixture('nginx', 'custom.log'));
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /logs no time/);
  assert.is(run('parse', '--format', 'apache', fixture('nginx', 'custom.log')).status, 2);
  assert.is(run('parse', path.join(dir, 'missing.log')).status, 2);
  const unknown = run('parse', fixture('nginx', 'custom.log'));
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /--format/);
});

t('demo replays the bundled logs into an index, groups the failures by cause, and looks one up', () => {
  const r = run('demo');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /indexed \d+ lines from \d+ files:\n {2}nginx\/claw_json\.log/);
  assert.match(r.stdout, /\d+ failed requests/);
  for (const cause of ['upstream-refused', 'proxy-timeout', 'ws-upgrade-not-forwarded', 'upstream-tls'])
    assert.ok(r.stdout.includes(cause), cause);
  assert.match(r.stdout, /\$ claw-trace [0-9a-f-]+\n/);
  assert.match(r.stdout, /cause {2}[a-z0-9-]+ \(confidence/);
  assert.match(r.stdout, /fix\n/);
});

t('prune refuses sizes and durations it does not fully understand (it deletes)', () => {
  const db = path.join(dir, 'p.db');
  for (const bad of [
    ['--max-size', '10GX'],
    ['--max-size', '-1GB'],
    ['--max-age', '7 days'],
    ['--max-age', 'soon'],
  ]) {
    const r = run('prune', '--db', db, ...bad);
    assert.is(r.status, 2, bad.join(' '));
    assert.match(r.stderr, /such as/);
  }
  assert.is(run('prune', '--db', db).status, 2, 'nothing to do is a usage error');
  assert.is(run('prune', '--db', db, '--max-age', '7d', '--max-size', '1.5GB').status, 0);
});

t('follow takes appended lines into the index and stops cleanly on SIGTERM', async () => {
  const log = path.join(dir, 'follow.log');
  const db = path.join(dir, 'follow.db');
  writeFileSync(log, `${combinedLine(0)}\n`);
  const child = spawn(process.execPath, [CLI, 'follow', '--db', db, log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!err.includes('following') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  appendFileSync(log, `${[1, 2, 3].map((i) => combinedLine(i)).join('\n')}\n`);
  await waitFor('the appended lines in the index', () => {
    const read = new Database(db, { readonly: true });
    try {
      return storedLineCount(read) === 3;
    } finally {
      read.close();
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  child.kill('SIGTERM');
  assert.is(await exited, 0, err);
  const idx = new RecordIndex(db);
  assert.is(idx.counts().records, 3, 'the appended lines, not the one there before');
  idx.close();
});

t('the built bin is executable (npx claw-trace runs it directly)', () => {
  const r = spawnSync(CLI, ['--version'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.error?.message ?? r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});

t('formats lists every format and error kind', () => {
  const r = run('formats');
  assert.is(r.status, 0);
  for (const name of [
    'nginx-combined',
    'nginx-claw_json',
    'nginx-error',
    'caddy',
    'openclaw',
    'upstream-refused',
    'ws-idle-timeout',
  ])
    assert.ok(r.stdout.includes(name), name);
});

t('terminal text: controls escaped, length bounded; JSON stays JSON without raw C1/DEL/bidi', () => {
  assert.is(terminalSafe('a\x1b[31mb\u009b\u202e'), 'a\\x1b[31mb\\x9b\\u202e');
  assert.ok(terminalSafe('x'.repeat(10_000), 100).length < 140);
  const j = terminalSafeJson({ id: 'a\x7f\u009b\u202eb\x1b' });
  assert.not.match(j, /[\x1b\x7f\u009b\u202e]/);
  assert.equal(JSON.parse(j), { id: 'a\x7f\u009b\u202eb\x1b' });
});

t('help [command] shows the help (not a lookup of a request called "help"); durations in it are durations', () => {
  const h = run('help');
  assert.is(h.status, 0, h.stderr);
  assert.match(h.stdout, /Usage: claw-trace/);
  assert.match(h.stdout, /help \[command\]/);
  const p = run('help', 'parse');
  assert.is(p.status, 0, p.stderr);
  assert.match(p.stdout, /Usage: claw-trace parse/);
  const f = run('5xx', '--help');
  assert.match(f.stdout, /--since <duration>.*\(default: 1h\)/s);
  assert.not.match(f.stdout, /3600000/);
  assert.match(run('lookup', '--help').stdout, /\(default: 3s\)/);
  assert.match(run('ingest', '--help').stdout, /\(default: 60s\)/);
});

t('read-only commands never create an index: "no index at PATH", exit 2', () => {
  const db = path.join(dir, 'nowhere', 'typo.db');
  for (const args of [['5xx'], ['0a251a1eb555'], ['lookup', '0a251a1eb555']]) {
    const r = run(...args, '--db', db);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `no index at ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: run \`claw-trace ingest\` or the agent first`,
      ),
    );
    assert.is(r.stdout, '', 'no "0 failed requests"');
  }
  assert.not.ok(existsSync(db) || existsSync(path.dirname(db)), 'nothing created');
});

t(
  "parse a b c reads every file and says each one's result; the exit code is the worst file's; paths named in every error",
  () => {
    const unknown = path.join(dir, 'unknown.log');
    writeFileSync(unknown, 'hello\nworld\n');
    const folder = path.join(dir, 'logs');
    mkdirSync(folder, { recursive: true });
    const combined = fixture('nginx', 'combined.log');
    const json = fixture('nginx', 'claw_json.log');
    const r = run('parse', '--summary-only', combined, unknown, path.join(dir, 'missing.log'), folder, json);
    assert.is(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /combined\.log: nginx-combined \(detected\)/);
    assert.match(r.stderr, /unknown\.log: no known format reads its first lines; name one with --format/);
    assert.match(r.stderr, /missing\.log: no such file/);
    assert.match(
      r.stderr,
      new RegExp(`${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a directory: give the log files in it`),
    );
    assert.not.match(r.stderr, /EISDIR/);
    assert.match(
      r.stderr,
      /is a directory[\s\S]*claw_json\.log: nginx-claw_json \(detected\)/,
      'the file after the failures is read too',
    );
    const good = run('parse', combined, json);
    assert.is(good.status, 0, good.stderr);
    const files = new Set(
      good.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { file: string }).file),
    );
    assert.equal([...files], [combined, json]);
  },
);

t('parse - reads standard input, plain or gzip', () => {
  const text = readFileSync(fixture('nginx', 'combined.log'));
  for (const input of [text, gzipSync(text)]) {
    const r = spawnSync(process.execPath, [CLI, 'parse', '-'], {
      input,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim().split('\n').length, text.toString().trim().split('\n').length);
    assert.match(r.stderr, /^stdin: nginx-combined \(detected\)/);
  }
});

t(
  'ingest exits non-zero when nothing could be read: 2 when no format reads the files, 1 when no line became a record',
  () => {
    const db = path.join(dir, 'ingest-codes.db');
    const unknown = path.join(dir, 'unknown2.log');
    writeFileSync(unknown, 'hello\nworld\n');
    const u = run('ingest', '--db', db, unknown);
    assert.is(u.status, 2, u.stderr);
    assert.match(u.stderr, /unknown2\.log: skipped: no known format/);
    const wrong = path.join(dir, 'wrong.log');
    writeFileSync(wrong, 'not an nginx line\nnor this\n');
    const w = run('ingest', '--db', db, '--format', 'nginx-combined', wrong);
    assert.is(w.status, 1, w.stderr);
    const folder = path.join(dir, 'adir');
    mkdirSync(folder, { recursive: true });
    const d = run('ingest', '--db', db, folder);
    assert.is(d.status, 2);
    assert.match(d.stderr, /adir is a directory: give the log files in it/);
    assert.is(run('ingest', '--db', db, fixture('nginx', 'combined.log')).status, 0);
    assert.is(run('ingest', '--db', db, fixture('nginx', 'combined.log')).status, 0, 'nothing new is not a failure');
  },
);

t('follow on a path that is not there says so, and still stops cleanly', async () => {
  const missing = path.join(dir, 'not-yet.log');
  const child = spawn(
    process.execPath,
    [CLI, 'follow', '--db', path.join(dir, 'f2.db'), missing, path.join(dir, 'nodir', '*.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const deadline = Date.now() + 10_000;
  while (!err.includes('following') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGTERM');
  assert.is(await exited, 0, err);
  assert.match(err, /not-yet\.log: no such file yet; it is read from its start when it appears/);
  assert.match(err, /no file matches .*nodir\/\*\.log yet/);
  assert.match(err, /following 0 files/);
});

t.run();
