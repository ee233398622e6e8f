/**
 * What an install on a builder's Node meets: every package in the lockfile accepts each Node the
 * project is tested on (npm warns EBADENGINE on every install otherwise), but one: better-sqlite3
 * 13, the SQLite driver for Node >= 22 (src/store/sqlite.ts), wants Node >= 22, so an install on
 * Node 20 prints exactly that one warning. The suite runs on each of them (`.ci/run`: 20 and 24).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import semver from 'semver';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SQLITE_DRIVER } from '../src/store/sqlite.js';
import { REPO } from './helpers.js';
const t = suite('install');
/** The Node versions an install must not warn on: the oldest supported 20, and 24. */
const TESTED = ['20.19.0', '24.0.0'];
/**
 * The one EBADENGINE an install may print, and only on Node 20: better-sqlite3 13 (installed as
 * better-sqlite3-napi) declares Node >= 22 (it segfaults on 20) and is never loaded below 22; it
 * has no install script (prebuilt Node-API binaries in its package), so it installs anywhere.
 */
const ALLOWED = { package: 'node_modules/better-sqlite3-napi', range: '>=22', refuses: ['20.19.0'] };
t('every package in the lockfile accepts Node 20.19 and 24 but better-sqlite3 13 on 20: one EBADENGINE warning on 20, none on 24', () => {
    const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8'));
    const refused = [];
    for (const [name, p] of Object.entries(lock.packages)) {
        const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
        if (!range)
            continue;
        for (const v of TESTED) {
            if (semver.satisfies(v, range))
                continue;
            if (name === ALLOWED.package && range === ALLOWED.range && ALLOWED.refuses.includes(v))
                continue;
            refused.push(`${name.replace(/^.*node_modules\//, '')} wants node ${range}, not ${v}`);
        }
    }
    assert.equal(refused, [], refused.join('\n'));
    const napi = lock.packages[ALLOWED.package];
    assert.ok(napi, `${ALLOWED.package} in the lockfile`);
    assert.is(napi.name, 'better-sqlite3');
    assert.is(semver.major(napi.version ?? '0.0.0'), 13);
    assert.is(napi.engines?.node, ALLOWED.range, 'the allowed warning is still the one it was');
    assert.not.ok(napi.hasInstallScript, 'better-sqlite3 13 installs without a script (nothing downloaded or built)');
    const own = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    for (const v of TESTED)
        assert.ok(semver.satisfies(v, own.engines.node), `engines.node ${own.engines.node} accepts ${v}`);
});
t('this suite runs on one of the Node versions the README names', () => {
    assert.ok([20, 24].includes(semver.major(process.version)), process.version);
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    assert.match(readme, /[Tt]ested on Node 20 and 24\b/);
});
t('the SQLite driver fits this Node: better-sqlite3 13 on Node >= 22, 12 below, and only that one is loaded', () => {
    const major = semver.major(process.version);
    assert.is(SQLITE_DRIVER, major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3');
    const require = createRequire(path.join(REPO, 'package.json'));
    const pkg = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
    assert.is(semver.major(pkg(SQLITE_DRIVER).version), major >= 22 ? 13 : 12);
    const other = SQLITE_DRIVER === 'better-sqlite3' ? 'better-sqlite3-napi' : 'better-sqlite3';
    const dir = (name) => path.dirname(require.resolve(`${name}/package.json`)) + path.sep;
    const loaded = Object.keys(require.cache);
    assert.ok(loaded.some((f) => f.startsWith(dir(SQLITE_DRIVER))), `${SQLITE_DRIVER} loaded`);
    assert.not.ok(loaded.some((f) => f.startsWith(dir(other))), `${other} not loaded`);
});
t("fastify's inject (light-my-request, pinned by an override for Node 20) answers a request", async () => {
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
//# sourceMappingURL=install.test.js.map