/**
 * User errors are one class with their exit code (main.ts recognises them by class, not by the
 * wording of a message), and constants with one definition: the version, the access sources,
 * the WebSocket test.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ACCESS_SOURCES, asksForWebSocket, createParser, isAccessSource, LogFormatError, UserError, } from '../parsers/index.js';
import { zoneOffsetResolver } from '../parsers/time.js';
import { ConfigError } from '../src/agent/config.js';
import { UsageError } from '../src/cli/errors.js';
import { ExportConfigError } from '../src/export/config.js';
import { UnknownFormatError } from '../src/read/parseFile.js';
import { IndexOpenError } from '../src/store/recordIndex.js';
import { VERSION } from '../src/util/version.js';
import { REPO } from './helpers.js';
const t = suite('userError');
const CLI = path.join(REPO, 'dist/src/cli/main.js');
t('every user error is a UserError with exit code 2, its own name kept', () => {
    for (const E of [UsageError, ConfigError, ExportConfigError, IndexOpenError, UnknownFormatError, LogFormatError]) {
        const e = new E('x');
        assert.ok(e instanceof UserError, E.name);
        assert.is(e.exitCode, 2);
        assert.is(e.name, E.name);
    }
    assert.throws(() => zoneOffsetResolver('Mars/Olympus'), (e) => e instanceof UserError && /unknown time zone/.test(e.message));
    assert.throws(() => createParser('nginx-access', {}), (e) => e instanceof UserError && /needs the log_format/.test(e.message));
    assert.throws(() => createParser('no-such-format', {}), (e) => e instanceof UserError && /unknown format/.test(e.message));
});
t('a user error ends the command with its message and exit 2, no stack trace', () => {
    const r = spawnSync(process.execPath, [CLI, 'parse', '--tz', 'Mars/Olympus', path.join(REPO, 'fixtures', 'nginx', 'error.log')], { encoding: 'utf8' });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /^claw-trace: unknown time zone "Mars\/Olympus"/);
    assert.not.match(r.stderr, /\n\s+at /);
});
t("constants defined once: the version is package.json's; the access sources; the WebSocket test", () => {
    assert.is(VERSION, JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    assert.is(spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout.trim(), VERSION);
    assert.equal([...ACCESS_SOURCES], ['nginx-access', 'caddy-access']);
    assert.ok(isAccessSource('caddy-access') && !isAccessSource('nginx-error'));
    assert.ok(asksForWebSocket({ upgrade: 'WebSocket' }) && !asksForWebSocket({ upgrade: 'h2c' }) && !asksForWebSocket({}));
});
t.run();
//# sourceMappingURL=userError.test.js.map