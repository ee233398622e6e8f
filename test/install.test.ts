/**
 * What an install on a builder's Node meets: every package in the lockfile accepts each Node the
 * project is tested on (npm warns EBADENGINE on every install otherwise), and the suite runs on
 * one of them (`.ci/run` runs it on 20; on 24 as well with CLAW_CI_NODE24=1).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO } from './helpers.js';

const t = suite('install');
/** The Node versions an install must not warn on: the oldest supported 20, and 24. */
const TESTED = ['20.19.0', '24.0.0'];

t('every package in the lockfile accepts Node 20.19 and 24: no EBADENGINE warning on install', () => {
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const refused: string[] = [];
  for (const [name, p] of Object.entries(lock.packages)) {
    const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
    if (!range) continue;
    for (const v of TESTED) if (!semver.satisfies(v, range)) refused.push(`${name.replace(/^.*node_modules\//, '')} wants node ${range}, not ${v}`);
  }
  assert.equal(refused, [], refused.join('\n'));
  const own = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
  for (const v of TESTED) assert.ok(semver.satisfies(v, own.engines.node), `engines.node ${own.engines.node} accepts ${v}`);
});

t('this suite runs on one of the Node versions the README names', () => {
  assert.ok([20, 24].includes(semver.major(process.version)), process.version);
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  assert.match(readme, /[Tt]ested on Node 20\b/);
});

t('fastify\'s inject (light-my-request, pinned by an override for Node 20) answers a request', async () => {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/x', async (_req, reply) => reply.header('set-cookie', 'a=b').send({ ok: true }));
  const r = await app.inject({ method: 'GET', url: '/x', cookies: { c: 'd' } });
  assert.is(r.statusCode, 200);
  assert.equal(r.json(), { ok: true });
  assert.equal(r.cookies.map((c) => [c.name, c.value]), [['a', 'b']]);
  await app.close();
});

t.run();
