/**
 * `claw-trace demo`: replays the bundled logs that real nginx and Caddy wrote (fixtures/, see its
 * README) into a temporary index, shows the failures they hold grouped by cause, and the lookup of
 * one failing request: what a newcomer runs first.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { assembleTrace } from '../correlate/assemble.js';
import { diagnose } from '../diagnose/diagnose.js';
import { failureReport } from '../diagnose/failureReport.js';
import { intakeFile } from '../intake/intakeFile.js';
import { RecordIndex } from '../store/recordIndex.js';
import { printFailures } from './failuresCommand.js';
import { renderTrace } from './lookupCommand.js';
import { cutMiddle } from './terminalWidth.js';
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
/** The cause the demo shows first, when the fixtures hold it. */
const SHOWCASE = ['localhost-resolves-to-ipv6', 'proxy-timeout', 'upstream-refused'];
export async function runDemo(out, width = Number.POSITIVE_INFINITY) {
    const color = out.isTTY === true && !process.env.NO_COLOR;
    const c = color ? pc : { bold: (s) => s, dim: (s) => s };
    const dir = mkdtempSync(path.join(tmpdir(), 'claw-demo-'));
    const index = new RecordIndex(path.join(dir, 'demo.db'));
    try {
        out.write(`${c.bold('claw-trace demo')} ${c.dim(cutMiddle(`— replaying logs written by real nginx 1.22 and Caddy 2.6 (${FIXTURES})`, width - 16))}\n\n`);
        let lines = 0;
        const files = [];
        for (const sub of ['nginx', 'caddy', 'openclaw']) {
            for (const name of readdirSync(path.join(FIXTURES, sub))
                .filter((f) => f.endsWith('.log'))
                .sort()) {
                // One access log is enough: combined/main/custom hold the same requests as claw_json.
                if (sub === 'nginx' && ['combined.log', 'main.log', 'custom.log'].includes(name))
                    continue;
                const file = path.join(FIXTURES, sub, name);
                const r = await intakeFile(index, file, { zone: 'UTC', region: sub === 'caddy' ? 'lab-caddy' : 'lab-nginx' });
                lines += r.lines;
                files.push(`${sub}/${name} (${r.format}, ${r.records} records)`);
            }
        }
        out.write(`indexed ${lines} lines from ${files.length} files:\n${files.map((f) => `  ${f}\n`).join('')}\n`);
        const report = failureReport(index, { from: 0, to: 4_102_444_800_000 });
        printFailures(report, { color, width }, out);
        const pick = SHOWCASE.map((cause) => report.groups.find((g) => g.cause === cause && g.upstream !== '-' && g.region === 'lab-nginx')).find(Boolean) ?? report.groups[0];
        if (pick) {
            out.write(`\n${c.bold(`$ claw-trace ${pick.example}`)}\n\n`);
            const trace = assembleTrace(index, pick.example);
            out.write(renderTrace(trace, diagnose(trace, index), color ? pc : undefined, width));
        }
        out.write(`\n${c.dim('Next: index your own logs (claw-trace ingest "/var/log/nginx/*.log"),\nthen claw-trace 5xx --since 1h and claw-trace <request-id>.')}\n`);
        return 0;
    }
    finally {
        index.close();
        rmSync(dir, { recursive: true, force: true });
    }
}
//# sourceMappingURL=demoCommand.js.map