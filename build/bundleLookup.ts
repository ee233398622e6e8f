/**
 * `npm run build`'s second step, after tsc: dist/src/cli/quickLookup.js and every module a local
 * lookup loads, bundled into dist/src/cli/quick/ (src/cli/quickEntry.ts says when it is used). A
 * lookup then reads a handful of files, not ~40 ESM modules, each resolved, read and linked on its
 * own: ~15 ms of a ~150 ms process (README, Speed). better-sqlite3 stays a package: its native
 * binding is found from its own folder. What a lookup loads only sometimes (text output's layout,
 * other agents' answers) stays in chunks of its own, loaded when used.
 */
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(DIST, 'src/cli/quick');

/**
 * Node's own modules through process.getBuiltinModule, not `import`: an import builds a namespace
 * of all of a module's exports, which runs node's lazy getters (node:fs's ReadStream loads the file
 * streams, node:crypto's its WebCrypto half), ~8 ms of a lookup on Node 24. The bundle reads only
 * the exports it uses.
 */
const builtinsByGetter: Plugin = {
  name: 'builtins-by-getter',
  setup(b) {
    const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (a) =>
      names.has(a.path) ? { path: a.path.replace(/^node:/, ''), namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (a) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${a.path}`)});`,
      loader: 'js',
    }));
  },
};

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
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  plugins: [builtinsByGetter],
  sourcemap: 'linked',
  logLevel: 'warning',
});
