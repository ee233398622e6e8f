import { test } from 'uvu';
import { readFileSync } from 'node:fs';
import { checkLab } from './labCheck.js';
import { fixture } from './helpers.js';

test('committed fixtures from real nginx and Caddy match the lab case table', () => {
  const run = JSON.parse(readFileSync(fixture('lab-run.json'), 'utf8')) as { skipped: { name: string }[] };
  checkLab({
    file: (name) => {
      const [proxy, ...rest] = name.split('-');
      return fixture(proxy!, rest.join('-'));
    },
    skipped: run.skipped.map((s) => s.name),
  });
});

test.run();
