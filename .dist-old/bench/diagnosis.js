/**
 * `npm run bench:diagnosis`: the diagnosis against the labelled corpus (fixtures/corpus and the
 * lab's fixtures): per cause precision, recall and first-cause accuracy, the calibration table and
 * how confidence bands held up, and the healthy requests called failures. `-- --write` rewrites
 * src/diagnose/calibration.ts from this run (then rebuild: the confidences printed come from it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrationSource, loadCorpus, report, runCorpus } from '../fixtures/corpus/score.js';
import { RecordIndex } from '../src/store/recordIndex.js';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pct = (n) => (Number.isNaN(n) ? '    -' : `${(n * 100).toFixed(0).padStart(4)}%`);
const dir = mkdtempSync(path.join(tmpdir(), 'claw-diagnosis-'));
const index = new RecordIndex(path.join(dir, 'corpus.db'));
try {
    const labels = await loadCorpus(index);
    const r = report(runCorpus(index, labels), labels.filter((l) => l.logged === false).length);
    const scenarios = new Set(labels.map((l) => l.scenario.replace(/^lab:.*/, 'lab'))).size;
    console.log(`corpus: ${labels.length} labelled requests (${r.failures} failures, ${r.healthy} healthy; ${r.unlogged} never logged by the proxy, left out) from ${scenarios} scenario groups\n`);
    console.log(`${'cause'.padEnd(28)} labelled  claimed 1st  right  precision  recall`);
    for (const c of r.perCause) {
        console.log(`${c.cause.padEnd(28)} ${String(c.labelled).padStart(8)}  ${String(c.claimedFirst).padStart(11)}  ${String(c.rightFirst).padStart(5)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}`);
    }
    console.log(`\nconfidence band   claims  right`);
    for (const b of r.bands)
        console.log(`${b.band.padEnd(16)}  ${String(b.claimed).padStart(6)}  ${String(b.right).padStart(5)}  ${b.claimed ? pct(b.right / b.claimed) : ''}`);
    console.log('');
    console.log(`first cause right:        ${r.firstRight} of ${r.failures} failures (${pct(r.firstRight / r.failures).trim()}; target >= 95%)`);
    console.log(`failures detected:        ${r.detected} of ${r.failures}`);
    console.log(`claims at >= 0.7:         ${r.confident.right} of ${r.confident.claimed} right; wrong: ${r.confidentWrong.length} (target 0)`);
    console.log(`healthy called failures:  ${r.healthyFlagged.length} of ${r.healthy} (target 0)`);
    console.log(`labelled IDs not found:   ${r.notFound.length}`);
    const wrong = r.outcomes.filter((o) => o.label.cause !== 'healthy' && (o.failed ? (o.causes[0]?.id ?? 'unknown') : 'healthy') !== o.label.cause);
    if (wrong.length) {
        console.log('\nwrong first causes:');
        for (const o of wrong)
            console.log(`  ${o.label.scenario.padEnd(34)} ${o.label.proxy.padEnd(6)} want ${o.label.cause.padEnd(26)} got ${o.failed ? o.causes.map((c) => `${c.id} ${c.confidence}/${c.basis}`).join(', ') || 'unknown' : 'not a failure'}  (${o.label.id.slice(0, 40)})`);
    }
    for (const o of r.healthyFlagged)
        console.log(`  healthy flagged: ${o.label.scenario} ${o.label.proxy} ${o.label.id} -> ${o.causes.map((c) => c.id).join(', ') || 'unknown'}`);
    if (process.argv.includes('--write')) {
        const file = path.join(REPO, 'src/diagnose/calibration.ts');
        const { readFileSync } = await import('node:fs');
        const src = readFileSync(file, 'utf8').replace(/export const CALIBRATION: CalibrationTable = [\s\S]*;\n$/, `export const CALIBRATION: CalibrationTable = ${calibrationSource(r.calibration)};\n`);
        writeFileSync(file, src);
        // Formatted as the lint test (biome ci) expects of every source file.
        const { createRequire } = await import('node:module');
        const { spawnSync } = await import('node:child_process');
        const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
        spawnSync(process.execPath, [biome, 'format', '--write', file], { cwd: REPO, stdio: 'ignore' });
        console.log(`\nwrote ${path.relative(REPO, file)}: rebuild (npm run build) for the confidences to follow it`);
    }
}
finally {
    index.close();
    rmSync(dir, { recursive: true, force: true });
}
//# sourceMappingURL=diagnosis.js.map