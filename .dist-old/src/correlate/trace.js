/**
 * The joined view of one request: spans per proxy hop, upstream attempt, gateway connection and
 * RPC; error lines as events; gateway context. Every join says which tier made it and how sure
 * it is (tiers 1 and 2 are certain; tier 3 is inferred and never shown as certain).
 */
import { createHash } from 'node:crypto';
const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The request ID when it is 32 hex; a UUID without hyphens; otherwise a stable hash of it. */
export function traceIdFor(requestId) {
    if (HEX32.test(requestId))
        return requestId.toLowerCase();
    if (UUID.test(requestId))
        return requestId.replace(/-/g, '').toLowerCase();
    return createHash('sha256').update(requestId).digest('hex').slice(0, 32);
}
/** Stable per line (trace, source, file, offset), so exporting twice gives the same span. */
export function spanIdFor(traceId, ...parts) {
    return createHash('sha256')
        .update([traceId, ...parts].join('\u0000'))
        .digest('hex')
        .slice(0, 16);
}
export function serviceOf(r) {
    return r.source.startsWith('nginx') ? 'nginx' : r.source.startsWith('caddy') ? 'caddy' : 'openclaw-gateway';
}
//# sourceMappingURL=trace.js.map