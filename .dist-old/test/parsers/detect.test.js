import { readdirSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectFormat } from '../../parsers/index.js';
import { fixture } from '../helpers.js';
const t = suite('detect');
const lines = (...p) => readFileSync(fixture(...p), 'utf8').split('\n');
t('each fixture is recognised from its first lines', () => {
    const want = {
        'nginx/combined.log': 'nginx-combined',
        'nginx/main.log': 'nginx-main',
        'nginx/claw_json.log': 'nginx-claw_json',
        'nginx/error.log': 'nginx-error',
        'caddy/access.log': 'caddy',
        'caddy/error.log': 'caddy',
        'openclaw/openclaw-2026-11-22.log': 'openclaw',
    };
    for (const [f, format] of Object.entries(want)) {
        const d = detectFormat(lines(...f.split('/')));
        assert.is(d?.format, format, f);
        assert.is(d.matched, d.sampled, `${f}: every sampled line read`);
    }
});
t('the real samples of fixtures/samples too, including the JSON layout without its log_format', () => {
    const dir = new URL('../../../fixtures/samples/', import.meta.url);
    const files = readdirSync(dir);
    assert.ok(files.length >= 5, 'the samples are there');
    const want = {
        'nginx-json.log': 'nginx-json',
        'nginx-combined.log': 'nginx-combined',
        'caddy-access.log': 'caddy',
        'openclaw-gateway.log': 'openclaw',
        'nginx-error.log': 'nginx-error',
    };
    for (const f of files) {
        if (!want[f])
            continue;
        assert.is(detectFormat(readFileSync(new URL(f, dir), 'utf8').split('\n'))?.format, want[f], f);
    }
});
t('a user log_format is tried first; nothing readable is undefined', () => {
    const custom = lines('nginx', 'custom.log');
    assert.is(detectFormat(custom), undefined);
    const logFormat = readFileSync(fixture('lab', 'nginx.conf'), 'utf8').match(/log_format custom [\s\S]*?;\n/)[0];
    assert.is(detectFormat(custom, { logFormat })?.format, 'nginx-access');
    assert.is(detectFormat(['', '  ']), undefined);
});
t.run();
//# sourceMappingURL=detect.test.js.map