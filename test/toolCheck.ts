/**
 * Tests that need a system tool (nginx, caddy, logrotate): off CI, a machine without it skips
 * them with a message; on CI (CI set) the test runs and fails on the missing tool.
 */
import { test, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { which } from '../fixtures/lab/lab.js';

export function testNeeding(tools: string[], file: string): { run: Test; missing: string[] } {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length > 0 && !process.env.CI) {
    process.stderr.write(`SKIP ${file}: ${missing.join(', ')} not installed (apt-get install -y ${missing.join(' ')})\n`);
    return { run: test.skip as unknown as Test, missing };
  }
  return { run: test, missing };
}

export function assertTools(missing: string[]): void {
  assert.equal(missing, [], `${missing.join(', ')} must be installed on CI (.ci/run installs them)`);
}
