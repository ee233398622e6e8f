/**
 * The lab live: real nginx and Caddy from this machine, started on loopback ports of their own
 * and stopped by PID. Off CI, a machine without them skips this with a message; on CI (CI set)
 * their absence is a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLab } from '../fixtures/lab/lab.js';
import { checkLab, checkLabDiagnoses } from './labCheck.js';
import { assertTools, testNeeding } from './toolCheck.js';
const onCI = Boolean(process.env.CI);
const { run: labTest, missing } = testNeeding(['nginx', 'caddy'], 'lab.test');
labTest('a live lab run: real nginx and Caddy logs parse and match every case', async () => {
    assertTools(missing);
    const work = mkdtempSync(path.join(tmpdir(), 'claw-lab-test-'));
    try {
        const r = await runLab({ work });
        assert.equal(r.skipped.map((s) => `${s.name}: ${s.why}`), onCI ? [] : r.skipped.map((s) => `${s.name}: ${s.why}`), 'no case skipped on CI');
        const logs = { file: (name) => path.join(work, name), skipped: r.skipped.map((s) => s.name) };
        checkLab(logs);
        await checkLabDiagnoses(logs);
    }
    finally {
        rmSync(work, { recursive: true, force: true });
    }
});
test.run();
//# sourceMappingURL=lab.test.js.map