import { terminalSafe } from '../util/terminalText.js';
const safe = (s) => terminalSafe(s, 2000);
export function proofParts(r) {
    const parts = [];
    const request = r.method || r.uri ? `${r.method ?? ''} ${safe(r.uri ?? '')}`.trim() : undefined;
    const attempts = r.upstreams?.length
        ? `upstream ${r.upstreams.map((u) => `${safe(u.addr)} ${u.status ?? '-'}`).join(', ')}`
        : undefined;
    switch (r.source) {
        case 'nginx-access':
        case 'caddy-access':
            if (r.status !== undefined)
                parts.push({ text: `status ${r.status}`, weight: 2 });
            if (attempts)
                parts.push({ text: attempts, weight: 1 });
            if (r.upgrade)
                parts.push({ text: `upgrade: ${safe(r.upgrade)}`, weight: 2 });
            if (r.durationMs !== undefined)
                parts.push({ text: `took ${Math.round(r.durationMs)} ms` });
            if (request)
                parts.push({ text: request, cuttable: true });
            break;
        case 'nginx-error':
        case 'caddy-error':
        case 'caddy-proxy':
            parts.push({ text: `${r.level ? `[${r.level}] ` : ''}${safe(r.message ?? '')}` });
            // The upstream it names is often the proof itself (a localhost that went to [::1]).
            if (r.upstreamUrl)
                parts.push({ text: `upstream: "${safe(r.upstreamUrl)}"`, weight: 2 });
            else if (attempts)
                parts.push({ text: attempts, weight: 2 });
            if (r.status !== undefined)
                parts.push({ text: `status ${r.status}`, weight: 1 });
            if (request)
                parts.push({ text: request, cuttable: true });
            break;
        default:
            parts.push({ text: safe(r.message ?? r.raw) });
            if (r.closeCode !== undefined)
                parts.push({ text: `close ${r.closeCode}${r.closeReason ? ` ${safe(r.closeReason)}` : ''}` });
    }
    if (parts.length === 0 || parts.every((p) => p.text === ''))
        return [{ text: safe(r.raw), cuttable: true }];
    return parts;
}
//# sourceMappingURL=evidenceText.js.map