import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import { fixture } from './helpers.js';
import { checkLab, checkLabDiagnoses } from './labCheck.js';
const run = JSON.parse(readFileSync(fixture('lab-run.json'), 'utf8'));
const logs = {
    file: (name) => {
        const [proxy, ...rest] = name.split('-');
        return fixture(proxy, rest.join('-'));
    },
    skipped: run.skipped.map((s) => s.name),
};
test('committed fixtures from real nginx and Caddy match the lab case table', () => {
    checkLab(logs);
});
test('every case of the committed fixtures is joined and diagnosed as the case table says', async () => {
    await checkLabDiagnoses(logs);
});
test.run();
//# sourceMappingURL=fixtures.test.js.map