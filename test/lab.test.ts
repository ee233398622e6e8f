/**
 * The lab live: real nginx and Caddy from this machine, started on loopback ports of their own
 * and stopped by PID. Off CI, a machine without them skips this with a message; on CI (CI set)
 * their absence is a failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runLab, which } from '../fixtures/lab/lab.js';
import { checkLab } from './labCheck.js';

const missing = ['nginx', 'caddy'].filter((cmd) => which(cmd) === undefined);
const onCI = Boolean(process.env.CI);
if (missing.length > 0 && !onCI) {
  process.stderr.write(`SKIP lab.test: ${missing.join(' and ')} not installed (apt-get install -y nginx caddy)\n`);
}
const labTest = missing.length > 0 && !onCI ? test.skip : test;

labTest('a live lab run: real nginx and Caddy logs parse and match every case', async () => {
  assert.equal(missing, [], `nginx and caddy must be installed on CI (.ci/run installs them)`);
  const work = mkdtempSync(path.join(tmpdir(), 'claw-lab-test-'));
  try {
    const r = await runLab({ work });
    assert.equal(r.skipped.map((s) => `${s.name}: ${s.why}`), onCI ? [] : r.skipped.map((s) => `${s.name}: ${s.why}`), 'no case skipped on CI');
    checkLab({ file: (name) => path.join(work, name), skipped: r.skipped.map((s) => s.name) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
