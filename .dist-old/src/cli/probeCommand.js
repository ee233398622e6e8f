/**
 * `claw-trace probe <public-url>`: the multi-region drill. The same checks through the public URL
 * and straight to the gateway on loopback, each with its own request ID; then the lookups of those
 * IDs in the local index and the `--agent`s of other regions: which hops logged each check, and the
 * diagnosis of one that failed. Exit 0 when every check passed, 1 when one failed. `--repeat N
 * --interval S` makes it a health gate for a rollout: it stops at the first failed round.
 */
import { existsSync } from 'node:fs';
import { loggedId, runRound } from '../probe/drill.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
const hopsOf = (t) => [
    ...new Set(t.spans
        .filter((s) => s.kind === 'SERVER' || s.service === 'openclaw-gateway')
        .map((s) => `${s.service}${s.region ? ` (${s.region})` : ''}`)),
];
function joinedOf(traces) {
    const hops = [...new Set(traces.flatMap(hopsOf))];
    const failed = traces
        .filter((t) => t.diagnosis.failed && t.diagnosis.causes.length)
        .sort((a, b) => b.diagnosis.causes[0].confidence - a.diagnosis.causes[0].confidence)[0];
    const c = failed?.diagnosis.causes[0];
    return { hops, cause: c ? { id: c.id, title: c.title, detail: c.detail, fix: c.fix } : undefined };
}
/** The traces of `id` in the local index and at the agents. */
async function lookupOnce(id, index, agents) {
    const traces = [];
    if (index) {
        const [{ assembleTrace }, { diagnose }, { traceJson }] = await Promise.all([
            import('../correlate/assemble.js'),
            import('../diagnose/diagnose.js'),
            import('../correlate/traceJson.js'),
        ]);
        const trace = assembleTrace(index, id);
        if (trace)
            traces.push(traceJson(trace, diagnose(trace, index)));
    }
    if (agents.length) {
        const { askAgents } = await import('./remoteLookup.js');
        for (const a of await askAgents(agents, id, 2000))
            if (a.trace)
                traces.push(a.trace);
    }
    return traces;
}
/**
 * Waits until each public check that reached something is in the index (and, when it failed,
 * diagnosed) or the time is up; the loopback checks are looked up once (the gateway logs no
 * request ID: only a proxy's line would carry theirs).
 */
async function joinChecks(checks, o) {
    const joined = new Map(checks.map((c) => [c.requestId, { hops: [] }]));
    const agents = o.agent ?? [];
    let index;
    if (existsSync(o.db)) {
        const { RecordIndex } = await import('../store/recordIndex.js');
        index = new RecordIndex(o.db);
    }
    try {
        if (!index && !agents.length)
            return checks.map((c) => ({ ...c, joined: joined.get(c.requestId) }));
        const settled = (c) => {
            const j = joined.get(c.requestId);
            return j.hops.length > 0 && (c.ok || j.cause !== undefined);
        };
        const waitFor = checks.filter((c) => c.via === 'public' && c.status !== 0);
        const deadline = Date.now() + o.waitMs;
        let first = true;
        for (;;) {
            for (const c of first ? checks : waitFor.filter((x) => !settled(x)))
                joined.set(c.requestId, joinedOf(await lookupOnce(loggedId(c), index, agents)));
            first = false;
            if (waitFor.every(settled) || Date.now() >= deadline)
                break;
            await new Promise((r) => setTimeout(r, 250));
        }
    }
    finally {
        index?.close();
    }
    return checks.map((c) => ({ ...c, joined: joined.get(c.requestId) }));
}
export async function runProbe(publicUrl, o, stdout) {
    const rounds = [];
    for (let i = 0; i < o.repeat; i++) {
        if (i > 0)
            await new Promise((r) => setTimeout(r, o.intervalMs));
        const { checks, diffs } = await runRound(publicUrl, o.loopback);
        const round = { checks: await joinChecks(checks, o), diffs, ok: checks.every((c) => c.ok) };
        rounds.push(round);
        if (!o.json)
            stdout.write(renderRound(round, i, o.repeat, publicUrl, o.loopback));
        if (!round.ok)
            break; // a health gate stops at the first failed round
    }
    const ok = rounds.every((r) => r.ok);
    if (o.json)
        stdout.write(`${terminalSafeJson({ public: publicUrl, loopback: o.loopback, ok, rounds })}\n`);
    else if (o.repeat > 1)
        stdout.write(ok ? `all ${rounds.length} rounds passed\n` : `round ${rounds.length} of ${o.repeat} failed: stopped\n`);
    return ok ? 0 : 1;
}
export function renderRound(r, i, of, publicUrl, loopback) {
    const lines = [
        `${of > 1 ? `round ${i + 1}/${of}  ` : ''}public ${terminalSafe(publicUrl, 200)}   loopback ${terminalSafe(loopback, 200)}`,
    ];
    for (const c of r.checks) {
        const status = c.status === 101 && c.firstFrame ? `101+${terminalSafe(c.firstFrame, 40)}` : String(c.status || '-');
        const logged = c.joined.hops.length
            ? `logged by ${c.joined.hops.map((h) => terminalSafe(h, 80)).join(', ')}`
            : 'logged by no hop';
        lines.push(`  ${c.ok ? '✓' : '✗'} ${c.via.padEnd(8)} ${c.check.padEnd(12)} ${status.padEnd(22)} ${`${c.ms} ms`.padStart(7)}  ${c.requestId}${c.proxyId ? ` (the proxy's: ${terminalSafe(c.proxyId, 80)})` : ''}  ${logged}`);
        if (c.note)
            lines.push(`      ${terminalSafe(c.note, 300)}`);
        if (!c.ok && c.joined.cause) {
            lines.push(`      cause  ${c.joined.cause.id}: ${terminalSafe(c.joined.cause.title, 200)}`);
            const fix = c.joined.cause.fix
                .split('\n')
                .filter((l) => l.trim())
                .slice(0, 6);
            lines.push(...fix.map((l, n) => `      ${n === 0 ? 'fix   ' : '      '} ${terminalSafe(l, 200)}`));
        }
        if (c.via === 'public' && c.ok && !c.idReturned && c.check !== 'WebSocket')
            lines.push('      the request ID did not come back (add_header X-Request-Id ... always / header X-Request-Id)');
    }
    for (const d of r.diffs) {
        const parts = [
            d.onlyPublic.length && `only via public: ${d.onlyPublic.join(', ')}`,
            d.onlyLoopback.length && `only via loopback: ${d.onlyLoopback.join(', ')}`,
            d.differ.length && `differ: ${d.differ.join(', ')}`,
        ].filter(Boolean);
        lines.push(`  headers  ${d.check}: ${terminalSafe(parts.join('; '), 400)}`);
    }
    const failed = r.checks.filter((c) => !c.ok).length;
    lines.push(failed ? `${failed} of ${r.checks.length} checks failed` : `all ${r.checks.length} checks passed`, '');
    return `${lines.join('\n')}\n`;
}
//# sourceMappingURL=probeCommand.js.map