/**
 * The layering the README's Layout shows: `src/cli` only parses arguments and renders, so nothing
 * below it (the agent above all) imports it, and no module imports itself back through others.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO } from './helpers.js';
import { arrows, cycles, type ImportGraph, importGraph, importsOf } from './support/importGraph.js';

const t = suite('importGraph');
const graph = importGraph(REPO);

t("the graph is read: the CLI's commands (program.ts) import the parsers and the agent imports the store", () => {
  assert.ok((graph.get('src/cli/program.ts') ?? []).includes('parsers/index.ts'));
  assert.ok(arrows(graph, 'src/agent', 'src/store').length > 0);
});

t('no module outside src/cli imports src/cli', () => {
  const into = [...graph.keys()]
    .filter((f) => !f.startsWith('src/cli/'))
    .flatMap((f) => (graph.get(f) ?? []).filter((to) => to.startsWith('src/cli/')).map((to) => `${f} -> ${to}`));
  assert.equal(into, []);
  assert.equal(arrows(graph, 'src/agent', 'src/cli'), []);
});

t('no import cycle', () => {
  assert.equal(cycles(graph), []);
});

t('the checker finds what it looks for: a cycle, a self-import, an arrow', () => {
  const g: ImportGraph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['d.ts']],
    ['src/agent/x.ts', ['src/cli/y.ts']],
  ]);
  assert.equal(
    cycles(g)
      .map((c) => c.join(','))
      .sort(),
    ['a.ts,b.ts,c.ts', 'd.ts'],
  );
  assert.equal(arrows(g, 'src/agent', 'src/cli'), ['src/agent/x.ts -> src/cli/y.ts']);
  assert.equal(
    importsOf(
      `import type { A } from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');\nimport 'node:fs';\nimport x from 'pkg';`,
    ),
    ['./a.js', '../b.js', './c.js'],
  );
});

t.run();
