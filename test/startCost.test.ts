/**
 * What a lookup loads: `claw-trace <id> --json` starts in ~100-150 ms (the README's figure, issue
 * 14's target) only while it leaves out what it does not use. TypeBox (the trace JSON's schema,
 * ~100 ms to load) belongs to the agent's API and to checking other agents' answers; the
 * terminal-width libraries to text output. Each was once loaded by every lookup.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { fixture, REPO } from './helpers.js';
import { CLI } from './support/agent.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('startCost');
const dir = tempDirEach(t, 'start');
const HOOKS = pathToFileURL(path.join(REPO, 'test/support/loadLog.mjs')).href;

function loaded(args: string[]): { status: number | null; modules: string[] } {
  const log = path.join(dir(), `load-${args.length}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOKS, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CLAW_LOAD_LOG: log },
  });
  if (r.status !== 0) console.error(r.stderr);
  return { status: r.status, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

t('a --json lookup loads neither TypeBox nor the terminal-width libraries; text output loads the latter', async () => {
  const db = path.join(dir(), 'i.db');
  const idx = new RecordIndex(db);
  await intakeFile(idx, fixture('nginx/claw_json.log'), { format: 'nginx-claw_json' });
  idx.close();
  const json = loaded(['--db', db, '--json', 'client-abc-123']);
  assert.is(json.status, 0);
  assert.ok(
    json.modules.some((m) => m.includes('/src/store/lookups.js')),
    'the hook sees the modules',
  );
  assert.equal(
    json.modules.filter((m) => /typebox|string-width|wrap-ansi|cli-truncate/.test(m)),
    [],
  );
  const text = loaded(['--db', db, 'client-abc-123']);
  assert.is(text.status, 0);
  assert.ok(text.modules.some((m) => m.includes('string-width')));
  assert.equal(
    text.modules.filter((m) => m.includes('typebox')),
    [],
  );
});

t.run();
