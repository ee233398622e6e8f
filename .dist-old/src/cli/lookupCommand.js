/**
 * `claw-trace <request-id>`: one request across proxies, gateway and regions, as a waterfall
 * with timings, then the cause with the lines that prove it and the fix. `--json` for scripts.
 * Exit codes: 0 found, 1 not found, 2 usage or configuration error.
 */
import pc from 'picocolors';
import { assembleTrace, resolveRequestId } from '../correlate/assemble.js';
import { traceJson } from '../correlate/traceJson.js';
import { diagnose } from '../diagnose/diagnose.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
import { proofParts } from './evidenceText.js';
import { columns, cutMiddle, fitParts, padColumns, wrapText } from './terminalWidth.js';
const plain = {
    bold: (s) => s,
    dim: (s) => s,
    red: (s) => s,
    green: (s) => s,
    yellow: (s) => s,
    cyan: (s) => s,
};
const lineRef = (r) => `${r.file ?? '?'}:${r.lineNo ?? '?'}`;
const msText = (n) => n === undefined ? '–' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
function depthOf(s, spans) {
    let d = 0;
    for (let p = s.parentSpanId; p !== undefined; p = spans.find((x) => x.spanId === p)?.parentSpanId)
        d++;
    return d;
}
/** Spans in tree order (parents before children, siblings by start). */
function ordered(spans) {
    const out = [];
    const visit = (parent) => {
        for (const s of spans
            .filter((x) => x.parentSpanId === parent || (parent === undefined && !spans.some((y) => y.spanId === x.parentSpanId)))
            .sort((a, b) => a.start - b.start)) {
            if (out.includes(s))
                continue;
            out.push(s);
            visit(s.spanId);
        }
    };
    visit(undefined);
    return out;
}
/**
 * The waterfall, the cause, its evidence and the fix, in `cols` columns (unbounded: nothing cut).
 * What gives way on a narrow terminal: the bars shrink, the phase timings move under their row,
 * long names and paths are cut in their middle; the part of an evidence line that proves the
 * cause is shown rather than the line's start.
 */
export function renderTrace(trace, d, c = plain, cols = Number.POSITIVE_INFINITY) {
    c ??= plain;
    const spans = ordered(trace.spans);
    const t0 = Math.min(...spans.map((s) => s.start));
    const t1 = Math.max(...spans.map((s) => s.end));
    const total = Math.max(t1 - t0, 1);
    const top = spans[0];
    const out = [];
    const bounded = Number.isFinite(cols);
    const status = d.status === undefined ? '' : d.failed ? c.red(String(d.status)) : c.green(String(d.status));
    const name = terminalSafe(top?.name ?? '', bounded ? 500 : 80);
    const request = `request ${c.cyan(terminalSafe(trace.requestId, 80))}`;
    const traceId = `trace ${trace.traceId}`;
    const oneLine = `${c.bold(name)} ${status}   ${request}   ${traceId}`;
    if (columns(oneLine) <= cols)
        out.push(oneLine);
    else {
        // IDs are never cut (they are what one copies): each on its own line when both do not fit.
        out.push(`${c.bold(cutMiddle(name, cols - 5))} ${status}`);
        if (columns(`${request}   ${traceId}`) <= cols)
            out.push(`${request}   ${traceId}`);
        else
            out.push(request, traceId);
    }
    out.push(c.dim(cutMiddle(`${new Date(t0).toISOString().replace('T', ' ').replace('Z', ' UTC')} · ${spans.filter((s) => s.kind === 'SERVER' && s.service !== 'openclaw-gateway').length} proxy hop(s) · ${msText(t1 - t0)}`, cols)));
    out.push('');
    const rows = spans.map((s) => {
        const depth = depthOf(s, trace.spans);
        const who = s.kind === 'CLIENT' ? '' : `${s.service}${s.region ? ` (${terminalSafe(s.region, 40)})` : ''}  `;
        const label = `${'  '.repeat(depth)}${who}${terminalSafe(s.name, 60)}`;
        const inferred = s.join.tier >= 3 ? ` inferred ${s.join.confidence.toFixed(2)}: ${s.join.how}` : '';
        const phases = s.phases
            ? `  connect ${msText(s.phases.connectMs)} · header ${msText(s.phases.headerMs)} · response ${msText(s.phases.responseMs)}`
            : '';
        return {
            s,
            depth,
            label,
            cells: [`+${msText(s.start - t0)}`, msText(s.end - s.start), s.status === undefined ? '' : String(s.status)],
            phases,
            inferred,
        };
    });
    // Columns: label, start (9), took (8), status (6), the bar, then the phases on the same line when they fit.
    const FIXED = 2 + 9 + 1 + 8 + 1 + 6 + 2;
    let w = Math.min(60, Math.max(...rows.map((r) => columns(r.label))));
    let barWidth = 28;
    if (bounded) {
        barWidth = Math.max(8, Math.min(28, cols - w - FIXED));
        w = Math.max(12, Math.min(w, cols - FIXED - barWidth));
    }
    out.push(c.dim(`${'span'.padEnd(w)}  ${'start'.padStart(9)} ${'took'.padStart(8)} ${'status'.padStart(6)}`));
    for (const r of rows) {
        const s = r.s;
        const from = Math.floor(((s.start - t0) / total) * barWidth);
        const len = Math.max(1, Math.round(((s.end - s.start) / total) * barWidth));
        const lead = Math.min(from, barWidth - 1);
        const bar = ' '.repeat(lead) + (s.error ? c.red : c.green)('█'.repeat(Math.min(len, barWidth - lead)));
        const row = `${padColumns(cutMiddle(r.label, w), w)}  ${r.cells[0].padStart(9)} ${r.cells[1].padStart(8)} ${r.cells[2].padStart(6)}  ${padColumns(bar, barWidth)}`;
        const tail = r.phases + r.inferred;
        if (!tail || columns(row) + columns(tail) <= cols) {
            out.push(`${row}${c.dim(r.phases)}${c.yellow(r.inferred)}`.trimEnd());
        }
        else {
            // The timings under the row, where the terminal has room for them.
            out.push(row.trimEnd());
            const pad = '  '.repeat(r.depth + 1);
            for (const part of [r.phases.trim(), r.inferred.trim()].filter(Boolean))
                out.push(pad + (part === r.inferred.trim() ? c.yellow : c.dim)(cutMiddle(part, cols - pad.length)));
        }
        for (const e of s.events) {
            const pad = '  '.repeat(r.depth + 1);
            const how = e.join.tier >= 3
                ? `inferred ${e.join.confidence.toFixed(2)}: ${e.join.how}`
                : `tier ${e.join.tier}: ${e.join.how}`;
            const message = terminalSafe(e.record.message ?? '', 2000);
            const name = terminalSafe(e.name, 60);
            out.push(`${pad}${e.record.errorKind ? c.red('✗') : c.dim('·')} ${c.bold(name)}  ${cutMiddle(message, cols - pad.length - 4 - columns(name))}`);
            // The line's place, then how it was joined: the latter gives way first (cut, then left out).
            let ref = terminalSafe(lineRef(e.record), 500);
            const room = cols - pad.length - 2;
            let joined = how;
            if (columns(`${ref}  ${how}`) > room) {
                joined = room - columns(ref) - 2 >= 16 ? cutMiddle(how, room - columns(ref) - 2) : '';
                if (!joined)
                    ref = cutMiddle(ref, room);
            }
            out.push(`${pad}  ${c.dim(ref)}${joined ? `  ${e.join.tier >= 3 ? c.yellow(joined) : c.dim(joined)}` : ''}`);
        }
    }
    for (const k of trace.skews) {
        out.push(c.yellow(cutMiddle(`clock: ${terminalSafe(k.region, 40)} runs ${k.ms >= 0 ? 'ahead of' : 'behind'} ${terminalSafe(k.relativeTo, 40)} by ${msText(Math.abs(k.ms))}${k.corrected ? ' (corrected above)' : ` (over the ${msText(5000)} cap: not corrected)`}`, cols)));
    }
    if (trace.context.length) {
        out.push('');
        out.push(c.bold('around it'));
        for (const x of trace.context) {
            const when = `${x.record.time - t0 >= 0 ? '+' : ''}${msText(x.record.time - t0)}`;
            out.push(`  ${c.dim(when)}  ${fitParts([{ text: `${x.what}: ${terminalSafe(x.record.message ?? '', 2000)}` }, { text: terminalSafe(lineRef(x.record), 500), cuttable: true }], cols - 4 - columns(when))}`);
        }
    }
    out.push('');
    if (!d.failed) {
        out.push(c.green('no failure: nothing to diagnose'));
    }
    else if (d.causes.length === 0) {
        out.push(`${c.bold('cause')}  ${c.yellow('unknown')}`);
        for (const m of d.missing)
            out.push(`  ${wrapText(`missing: ${m}`, cols - 2, '    ')}`);
    }
    else {
        for (const cause of d.causes) {
            const basis = cause.basis === 'direct'
                ? 'joined lines'
                : cause.basis === 'inferred'
                    ? 'an inferred join'
                    : 'its shape and what was around it';
            const measured = cause.measured
                ? `right ${cause.measured.right} of ${cause.measured.claimed} on the corpus`
                : 'not measured';
            out.push(`${c.bold('cause')}  ${c.red(cause.id)} ${c.dim(wrapText(`(confidence ${cause.confidence.toFixed(2)}, ${measured}; decided by ${basis})`, cols - 4 - columns(cause.id), '  '))}`);
            out.push(`  ${wrapText(cause.title, cols - 2, '  ')}`);
            out.push(`  ${wrapText(terminalSafe(cause.detail, 500), cols - 2, '  ')}`);
            out.push(`  ${c.bold('evidence')}`);
            for (const e of cause.evidence) {
                // Where the line is, then what in it proves the cause: on one line when it fits.
                const ref = terminalSafe(lineRef(e), 500);
                const proof = proofParts(e);
                const whole = `    ${ref}  ${fitParts(proof, Number.POSITIVE_INFINITY)}`;
                if (columns(whole) <= cols)
                    out.push(`    ${c.dim(ref)}  ${fitParts(proof, Number.POSITIVE_INFINITY)}`);
                else {
                    out.push(`    ${c.dim(cutMiddle(ref, cols - 4))}`);
                    // When the proof itself does not fit on one line, each part of it on its own.
                    const proofOnly = proof.filter((p) => !p.cuttable);
                    if (columns(proofOnly.map((p) => p.text).join('  ')) <= cols - 6)
                        out.push(`      ${fitParts(proof, cols - 6)}`);
                    else
                        for (const p of proofOnly)
                            out.push(`      ${cutMiddle(p.text, cols - 6)}`);
                }
            }
            out.push(`  ${c.bold('fix')}`);
            for (const l of cause.fix.split('\n'))
                out.push(`    ${wrapText(l, cols - 4, '      ')}`);
            out.push('');
        }
    }
    return `${out.join('\n').trimEnd()}\n`;
}
const colorsOf = (o) => (o.color ? pc : plain);
export function runLookup(index, idOrPrefix, opts, stdout, stderr) {
    if (idOrPrefix.length === 0) {
        stderr.write('claw-trace: the request ID is empty\n');
        return 2;
    }
    const resolved = resolveRequestId(index, idOrPrefix);
    if (resolved.ambiguous) {
        stderr.write(`claw-trace: ${resolved.ambiguous.length}${resolved.ambiguous.length === 10 ? '+' : ''} request IDs start with ${terminalSafe(idOrPrefix, 80)}: ${resolved.ambiguous.map((i) => terminalSafe(i, 60)).join(', ')}; give more of it\n`);
        return 2;
    }
    const trace = resolved.requestId === undefined ? undefined : assembleTrace(index, resolved.requestId);
    if (!trace) {
        stderr.write(`claw-trace: no request ${terminalSafe(idOrPrefix, 80)} in the index${opts.json ? '' : ' (is its access log indexed? claw-trace ingest / follow)'}\n`);
        return 1;
    }
    const d = diagnose(trace, index);
    stdout.write(opts.json ? `${terminalSafeJson(traceJson(trace, d))}\n` : renderTrace(trace, d, colorsOf(opts), opts.width));
    return 0;
}
/** `claw-trace <id> --agent URL...`: the regional agents' answers merged into one waterfall. */
export async function runRemoteLookup(id, agents, timeoutMs, opts, stdout, stderr) {
    const { askAgents } = await import('./remoteLookup.js');
    const { mergeTraces } = await import('../correlate/merge.js');
    const answers = await askAgents(agents, id, timeoutMs);
    for (const a of answers) {
        if (a.error !== undefined)
            stderr.write(`claw-trace: agent ${terminalSafe(a.agent, 120)} ${a.refused ? 'answered, and its answer is left out' : 'did not answer'}: ${terminalSafe(a.error, 200)}\n`);
    }
    const found = answers.flatMap((a) => (a.trace ? [a.trace] : []));
    if (found.length === 0) {
        stderr.write(`claw-trace: no agent that answered knows request ${terminalSafe(id, 80)}\n`);
        return 1;
    }
    const { trace, diagnosis } = mergeTraces(found);
    stdout.write(opts.json
        ? `${terminalSafeJson({
            ...traceJson(trace, diagnosis),
            agents: answers.map((a) => ({ agent: a.agent, found: Boolean(a.trace), error: a.error })),
        })}\n`
        : renderTrace(trace, diagnosis, colorsOf(opts), opts.width) +
            `${colorsOf(opts).dim(`answered: ${answers
                .filter((a) => !a.error)
                .map((a) => a.agent)
                .join(', ') || 'none'}`)}\n`);
    return 0;
}
/** `claw-trace <id> --otlp-backend URL`: the trace as exported, from Jaeger's or Tempo's query API. */
export async function runBackendLookup(id, url, timeoutMs, opts, stdout, stderr) {
    const { fetchFromBackend } = await import('./backendLookup.js');
    let found;
    try {
        found = await fetchFromBackend(url, id, timeoutMs);
    }
    catch (e) {
        const err = e;
        stderr.write(`claw-trace: ${terminalSafe(url, 120)} did not answer: ${terminalSafe(err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message), 200)}\n`);
        return 1;
    }
    if (!found) {
        stderr.write(`claw-trace: ${terminalSafe(url, 120)} has no trace for request ${terminalSafe(id, 80)}\n`);
        return 1;
    }
    stdout.write(opts.json
        ? `${terminalSafeJson(traceJson(found.trace, found.diagnosis))}\n`
        : renderTrace(found.trace, found.diagnosis, colorsOf(opts), opts.width));
    return 0;
}
//# sourceMappingURL=lookupCommand.js.map