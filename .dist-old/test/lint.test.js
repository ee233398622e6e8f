/**
 * The formatter and the linter (Biome, `biome.json`: 120 columns, the recommended rules) run in
 * `npm test` as one test, so CI fails on an unformatted file or a lint error like on any other
 * failure. Fix with `npx biome check --write .` (formats and applies the safe fixes).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
const t = suite('lint');
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
t('biome ci: every source file formatted, no lint error', () => {
    const r = spawnSync(process.execPath, [biome, 'ci', '--colors=off', '.'], { cwd: repo, encoding: 'utf8' });
    assert.is(r.status, 0, `biome ci found problems (npx biome check --write . fixes most):\n${(r.stdout + r.stderr).slice(-4000)}`);
});
t.run();
//# sourceMappingURL=lint.test.js.map