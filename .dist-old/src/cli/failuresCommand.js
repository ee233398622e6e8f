/**
 * `claw-trace 5xx --since 1h`: the failures in a window, grouped by cause, region, path and
 * upstream, with counts and one example request ID per group (to look up next). The report is
 * made in src/diagnose/failureReport.ts; this prints it.
 */
import pc from 'picocolors';
import { failureReport } from '../diagnose/failureReport.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
import { cutMiddle, padColumns, wrapText } from './terminalWidth.js';
export function runFailures(index, o, stdout) {
    printFailures(failureReport(index, o), o, stdout);
    return 0;
}
/** The report as a table (or JSON with `json`), with the fleet patterns under it. */
export function printFailures(r, o, stdout) {
    if (o.json) {
        stdout.write(`${terminalSafeJson(r)}\n`);
        return;
    }
    const c = o.color ? pc : { bold: (s) => s, dim: (s) => s, red: (s) => s };
    const cols = o.width ?? Number.POSITIVE_INFINITY;
    const span = r.from <= 0 ? 'all the index' : `${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}`;
    stdout.write(`${c.bold(`${r.diagnosed} failed requests`)} ${c.dim(`(${span})`)}\n`);
    if (r.causes.length) {
        // One row per cause with its total and an example ID, then its breakdown, indented: region,
        // path, upstream (and each one's example where the terminal has room). On a narrow terminal
        // the path and then the upstream are cut in their middle; an ID, to copy into
        // `claw-trace <id>`, never.
        const count = Math.max(5, ...r.causes.map((x) => String(x.count).length));
        const rows = r.groups.map((g) => ({
            g,
            cells: [
                terminalSafe(g.region, 20),
                terminalSafe(g.path, 200),
                terminalSafe(g.upstream, 200),
                terminalSafe(g.example, 80),
            ],
        }));
        const w = [6, 4, 8, 18].map((min, i) => Math.max(min, ...rows.map((x) => x.cells[i].length)));
        const width = (n) => count + 4 + w.slice(0, n).reduce((a, b) => a + b, 0) + 2 * (n - 1);
        const shown = width(4) <= cols ? 4 : 3; // the breakdown's examples go first
        for (const i of [1, 2])
            if (width(shown) > cols)
                w[i] = Math.max(16, w[i] - (width(shown) - cols));
        const line = (cells) => cells
            .slice(0, shown)
            .map((v, i) => (i === shown - 1 ? cutMiddle(v, w[i]) : padColumns(cutMiddle(v, w[i]), w[i])))
            .join('  ');
        stdout.write(`${c.dim(`${'count'.padStart(count)}  cause, example request ID`)}\n`);
        stdout.write(`${c.dim(`${''.padStart(count)}    ${line(['region', 'path', 'upstream', 'example request ID'])}`.trimEnd())}\n`);
        for (const x of r.causes) {
            stdout.write(`${c.bold(String(x.count).padStart(count))}  ${c.red(x.cause)}  ${c.dim(terminalSafe(x.example, 80))}\n`);
            for (const row of rows.filter((y) => y.g.cause === x.cause))
                stdout.write(`${`${String(row.g.count).padStart(count)}    ${line(row.cells)}`.trimEnd()}\n`);
        }
    }
    for (const p of r.patterns) {
        stdout.write(`${wrapText(`${c.bold('pattern')} ${p.id}${p.cause === '*' ? '' : ` (${p.cause})`}: ${terminalSafe(p.summary, 300)}`, cols, '  ')}\n  ${c.dim(wrapText(`points to ${p.pointsTo}`, cols - 2, '  '))}\n`);
    }
    if (r.withoutRequestId)
        stdout.write(`${c.dim(wrapText(`${r.withoutRequestId} failing lines carry no request ID (log $request_id, see the README) and are not joined`, cols))}\n`);
}
//# sourceMappingURL=failuresCommand.js.map