/**
 * `npm test`: runs every uvu test under dist/test and ends with the line `N passed, N failed`
 * (and `, N skipped` when any test was skipped, which happens only off CI).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const uvuBin = path.resolve(here, '../../node_modules/uvu/bin.js');
const pattern = `(${process.argv[2] ?? ''}).*\\.test\\.js$`; // npm test -- parsers: only files matching 'parsers'
const child = spawn(process.execPath, [uvuBin, here, pattern], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.stdout.isTTY ? process.env : { ...process.env, NO_COLOR: '1' },
});
let out = '';
child.stdout.on('data', (d) => {
    out += d.toString();
    process.stdout.write(d);
});
child.on('close', (code) => {
    const num = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
    const total = num('Total');
    const passed = num('Passed');
    const skipped = num('Skipped');
    if (Number.isNaN(total) || Number.isNaN(passed)) {
        process.stdout.write('\n0 passed, 1 failed\n(the test run did not finish: see the error above)\n');
        process.exit(1);
    }
    const failed = total - passed; // uvu's Total leaves skipped tests out
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    process.exit(code === 0 && failed === 0 ? 0 : 1);
});
//# sourceMappingURL=run.js.map