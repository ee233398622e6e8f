/**
 * `npm run build`'s second step, after tsc: dist/src/cli/quickLookup.js and every module a local
 * lookup loads, bundled into dist/src/cli/quick/ (src/cli/quickEntry.ts says when it is used). A
 * lookup then reads a handful of files, not ~40 ESM modules, each resolved, read and linked on its
 * own: ~15 ms of a ~150 ms process (README, Speed). better-sqlite3 stays a package: its native
 * binding is found from its own folder. What a lookup loads only sometimes (text output's layout,
 * other agents' answers) stays in chunks of its own, loaded when used.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(DIST, 'src/cli/quick');

rmSync(OUT, { recursive: true, force: true }); // chunks are named by content: last build's would stay
await build({
  entryPoints: [path.join(DIST, 'src/cli/quickLookup.js')],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: ['better-sqlite3', 'better-sqlite3-napi'],
  // CommonJS packages in the bundle (picocolors) call require(): an ES module has none of its own.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
});
