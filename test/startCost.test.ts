/**
 * What a lookup loads: `claw-trace <id> --json` starts in ~100-150 ms (the README's figure, issue
 * 14's target) only while it leaves out what it does not use. TypeBox (the trace JSON's schema,
 * ~100 ms to load) belongs to the agent's API and to checking other agents' answers; the
 * terminal-width libraries to text output; the option parser (commander) and the other commands'
 * modules to the command lines that are not a plain local lookup (src/cli/quickLookup.ts). Each
 * was once loaded by every lookup. After `npm run build` the lookup's modules come as one bundle
 * (src/cli/quickEntry.ts): what a bundled file holds is read from the `// path` line esbuild
 * writes before each module in it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freshBundle, QUICK_BUNDLE, quickEntry } from '../src/cli/quickEntry.js';
import { COMMAND_NAMES, quickLookupArgs } from '../src/cli/quickLookup.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { fixture, REPO } from './helpers.js';
import { CLI } from './support/agent.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('startCost');
const dir = tempDirEach(t, 'start');
const HOOKS = pathToFileURL(path.join(REPO, 'test/support/loadLog.mjs')).href;

/** The files a command loads (URLs), and the modules in them: a bundled file stands for those it holds. */
function loaded(args: string[]): { status: number | null; files: string[]; modules: string[] } {
  const log = path.join(dir(), `load-${args.length}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOKS, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CLAW_LOAD_LOG: log },
  });
  if (r.status !== 0) console.error(r.stderr);
  const files = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const modules = files.flatMap((url) => {
    if (!url.startsWith('file:')) return [url];
    const inside = [...readFileSync(fileURLToPath(url), 'utf8').matchAll(/^\/\/ ((?:dist|node_modules)\/\S+)$/gm)];
    return inside.length ? inside.map((m) => m[1]!) : [url];
  });
  return { status: r.status, files, modules };
}

async function smallIndex(): Promise<string> {
  const db = path.join(dir(), 'i.db');
  const idx = new RecordIndex(db);
  await intakeFile(idx, fixture('nginx/claw_json.log'), { format: 'nginx-claw_json' });
  idx.close();
  return db;
}

const NOT_FOR_A_LOOKUP =
  /typebox|string-width|wrap-ansi|cli-truncate|commander|node_modules\/(ms|bytes)\/|cli\/program\.js|(ingest|parse|doctor|probe|demo|failures)Command\.js|src\/(agent|tail|intake|export)\//;

t(
  'a --json lookup loads neither the option parser, the other commands, TypeBox nor the terminal-width libraries; text output loads the latter',
  async () => {
    const db = await smallIndex();
    const json = loaded(['--db', db, '--json', 'client-abc-123']);
    assert.is(json.status, 0);
    assert.ok(
      json.modules.some((m) => m.includes('/src/store/lookups.js')),
      'the hook sees the modules',
    );
    assert.equal(
      json.modules.filter((m) => NOT_FOR_A_LOOKUP.test(m)),
      [],
    );
    const text = loaded(['--db', db, 'client-abc-123']);
    assert.is(text.status, 0);
    assert.ok(text.modules.some((m) => m.includes('string-width')));
    assert.equal(
      text.modules.filter((m) => /typebox|commander|cli\/program\.js/.test(m)),
      [],
    );
    // A lookup with an option of another kind goes through the option parser, to the same answer.
    const full = loaded(['lookup', '--db', db, '--json', 'client-abc-123']);
    assert.is(full.status, 0);
    assert.ok(full.modules.some((m) => m.includes('commander')));
  },
);

t('the lookup loads the bundle when the build made one after the modules, else the modules themselves', async () => {
  const db = await smallIndex();
  const { status, files } = loaded(['--db', db, '--json', 'client-abc-123']);
  assert.is(status, 0);
  const ownFiles = files.filter((f) => f.startsWith('file:'));
  if (quickEntry() === QUICK_BUNDLE.href) {
    // `npm run build`, as in CI: main.js, quickEntry.js, then only the bundle's files.
    assert.equal(
      ownFiles.filter((f) => !f.startsWith(new URL('.', QUICK_BUNDLE).href)).map((f) => path.basename(f)),
      ['main.js', 'quickEntry.js'],
    );
    assert.ok(ownFiles.length < 20, `${ownFiles.length} files`);
  } else {
    // `tsc` alone: the bundle, if any, is older than the modules.
    assert.ok(ownFiles.some((f) => f.endsWith('/dist/src/cli/quickLookup.js')));
    assert.ok(ownFiles.some((f) => f.endsWith('/dist/src/store/lookups.js')));
  }
});

t('a bundle counts as fresh only when written no earlier than the build it goes with', () => {
  const built = path.join(dir(), 'built.js');
  const bundle = path.join(dir(), 'bundle.js');
  writeFileSync(built, '');
  assert.not.ok(freshBundle(pathToFileURL(bundle), pathToFileURL(built)), 'none');
  writeFileSync(bundle, '');
  utimesSync(built, 2000, 2000);
  utimesSync(bundle, 1000, 1000);
  assert.not.ok(freshBundle(pathToFileURL(bundle), pathToFileURL(built)), 'older');
  utimesSync(bundle, 2000, 2000);
  assert.ok(freshBundle(pathToFileURL(bundle), pathToFileURL(built)), 'same time (npm sets one time for a package)');
  utimesSync(bundle, 3000, 3000);
  assert.ok(freshBundle(pathToFileURL(bundle), pathToFileURL(built)), 'newer');
});

t('only a plain local lookup is read without the option parser', () => {
  const env = { CLAW_TRACE_HOME: '/state' };
  assert.equal(quickLookupArgs(['abc'], env), { id: 'abc', db: '/state/index.db', json: undefined, width: undefined });
  assert.equal(quickLookupArgs(['--json', '--db=/x.db', 'abc', '--width', '100'], env), {
    id: 'abc',
    db: '/x.db',
    json: true,
    width: 100,
  });
  for (const args of [
    [], // help
    ['--help'],
    ['-V'],
    ['a', 'b'],
    ['--agent', 'http://127.0.0.1:1', 'abc'],
    ['-c', 'agent.yaml', 'abc'],
    ['--otlp-backend', 'http://127.0.0.1:1', 'abc'],
    ['--agent-timeout', '1s', 'abc'],
    ['--width', '39', 'abc'], // refused with a message by the option parser
    ['--width', 'wide', 'abc'],
    ['--db'],
    ['--json=yes', 'abc'],
    ['--', '-abc'],
    ['5xx'],
    ['help'],
    ['lookup', 'abc'],
    ['--db', 'x.db', 'formats'],
  ])
    assert.is(quickLookupArgs(args, env), undefined, args.join(' '));
});

t("the words quickLookup.ts leaves to the option parser are the program's commands", async () => {
  const { commandNames } = await import('../src/cli/program.js');
  assert.equal([...COMMAND_NAMES].sort(), [...commandNames(), 'help'].sort());
});

t.run();
