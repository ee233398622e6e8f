/**
 * `claw-trace doctor`: the proxies' configs against the gateway's, before a request fails.
 * Exit 0: no finding; 1: findings; 2: a config could not be read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { runChecks } from '../doctor/checks.js';
import { readGatewayConfig } from '../doctor/gatewayConfig.js';
import { CAUSE_OF_CHECK, liveFindings } from '../doctor/live.js';
import { ConfigReadError } from '../doctor/nginxConfig.js';
import { readCaddy, readNginx, selinuxNetworkConnect } from '../doctor/readConfigs.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
export async function runDoctor(o, stdout, stderr) {
    const configs = { routes: [], read: [], notes: [] };
    let findings;
    let recent = [];
    let listening;
    try {
        const named = o.nginx !== undefined || o.caddy !== undefined;
        if (o.nginx !== undefined || (o.defaults !== false && !named))
            readNginx(o.nginx, () => readFileSync(0, 'utf8'), configs);
        if (o.caddy !== undefined || (o.defaults !== false && !named))
            readCaddy(o.caddy, configs);
        if (!configs.read.length)
            throw new ConfigReadError('no nginx or Caddy config found: give one with --nginx FILE (or - for `nginx -T` on stdin) or --caddy FILE');
        const gateway = readGatewayConfig(o.openclaw, o.openclaw !== undefined);
        configs.read.push(gateway.file ?? "(no gateway config: the gateway's defaults)");
        findings = runChecks({ routes: configs.routes, gateway, selinuxNetworkConnect: selinuxNetworkConnect() });
        if (o.live) {
            const live = await liveFindings(configs.routes, gateway);
            findings.push(...live.findings);
            listening = live.listening;
            configs.notes.push(listening
                ? `port ${gateway.port} (the gateway's) listens on ${listening.join(', ') || 'nothing'}`
                : `what listens on port ${gateway.port} is unknown here (no /proc/net/tcp, no lsof)`);
            recent = await recentFailures(o.db);
        }
    }
    catch (e) {
        if (!(e instanceof ConfigReadError))
            throw e;
        stderr.write(`claw-trace doctor: ${terminalSafe(e.message, 2000)}\n`);
        return 2;
    }
    if (o.json) {
        stdout.write(`${terminalSafeJson({ read: configs.read, findings, ...(o.live ? { listening, recent } : {}) })}\n`);
    }
    else {
        stdout.write(renderFindings(findings, configs, recent));
    }
    return findings.length ? 1 : 0;
}
/** The index's failures of the last hour by cause (nothing when there is no index). */
async function recentFailures(db) {
    if (!existsSync(db))
        return [];
    // Loaded here: without --live, doctor never opens the index.
    const [{ RecordIndex }, { failureReport }] = await Promise.all([
        import('../store/recordIndex.js'),
        import('../diagnose/failureReport.js'),
    ]);
    const index = new RecordIndex(db);
    try {
        const to = Date.now();
        return failureReport(index, { from: to - 3_600_000, to }).causes;
    }
    finally {
        index.close();
    }
}
export function renderFindings(findings, configs, recent = []) {
    const lines = [`read: ${configs.read.map((r) => terminalSafe(r, 300)).join(', ')}`];
    for (const n of configs.notes)
        lines.push(`note: ${terminalSafe(n, 500)}`);
    for (const f of findings) {
        lines.push('', `${f.severity.padEnd(7)} ${f.id}  ${terminalSafe(f.file, 300)}${f.line ? `:${f.line}` : ''}`);
        lines.push(`  ${terminalSafe(f.message, 500)}`);
        for (const cause of CAUSE_OF_CHECK[f.id] ?? []) {
            const seen = recent.find((r) => r.cause === cause);
            if (seen)
                lines.push(`  seen   ${seen.count} request${seen.count === 1 ? '' : 's'} failed as ${cause} in the last hour (e.g. claw-trace ${terminalSafe(seen.example, 80)})`);
        }
        // Escaped too: a fix quotes the config (names, ports, addresses), which is not ours.
        lines.push(`  why    ${terminalSafe(f.why, 2000)}`);
        lines.push('  fix', ...f.fix.split('\n').map((l) => `    ${terminalSafe(l.replace(/\t/g, '  '), 1000)}`));
    }
    const explained = new Set(findings.flatMap((f) => CAUSE_OF_CHECK[f.id] ?? []));
    const others = recent.filter((r) => !explained.has(r.cause));
    if (others.length) {
        lines.push('', 'the index saw in the last hour (no config finding explains these):');
        for (const r of others)
            lines.push(`  ${String(r.count).padStart(5)}  ${r.cause}  e.g. claw-trace ${terminalSafe(r.example, 80)}`);
    }
    const errors = findings.filter((f) => f.severity === 'error').length;
    lines.push('', findings.length
        ? `${findings.length} finding${findings.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'})`
        : 'no finding');
    return `${lines.join('\n')}\n`;
}
//# sourceMappingURL=doctorCommand.js.map