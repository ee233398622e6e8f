/**
 * Tests that need a system tool (nginx, caddy, logrotate): off CI, a machine without it skips
 * them with a message; on CI (CI set) the test runs and fails on the missing tool.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { which } from '../fixtures/lab/lab.js';
/**
 * `suite` itself, or its `skip` when a tool is missing off CI (the test then shows as skipped,
 * not passed). On CI the test runs; start it with `assertTools(missing)` so it fails there.
 */
export function testNeeding(tools, label, suite = test) {
    const missing = tools.filter((t) => which(t) === undefined);
    if (missing.length > 0 && !process.env.CI) {
        process.stderr.write(`SKIP ${label}: ${missing.join(', ')} not installed (apt-get install -y ${missing.join(' ')})\n`);
        return { run: suite.skip, missing };
    }
    return { run: suite, missing };
}
export function assertTools(missing) {
    assert.equal(missing, [], `${missing.join(', ')} must be installed on CI (.ci/run installs them)`);
}
//# sourceMappingURL=toolCheck.js.map