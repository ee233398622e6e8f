/** A temporary directory per test, removed after it (uvu hooks). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
export function tempDir(prefix) {
    return mkdtempSync(path.join(tmpdir(), `claw-${prefix}-`));
}
/**
 * A fresh directory before each test of `suite` and its removal after: `dir()` is the current one.
 */
export function tempDirEach(suite, prefix) {
    let dir = '';
    suite.before.each(() => {
        dir = tempDir(prefix);
    });
    suite.after.each(() => rmSync(dir, { recursive: true, force: true }));
    return () => dir;
}
//# sourceMappingURL=tempDir.js.map