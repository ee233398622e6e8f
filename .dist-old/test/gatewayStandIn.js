/**
 * A stand-in for the OpenClaw gateway for the quick tests (the real one, on Node 24, takes ~8 s to
 * start; test/e2e.test.ts runs it): an HTTP server on 127.0.0.1 that writes its file log in the
 * gateway's own tslog format (as in fixtures/openclaw) with the gateway's own message texts:
 * - lifecycle: `starting HTTP server...`, `http server listening (...)`;
 * - `trustedProxies: []` mode: proxy-shaped traffic (X-Forwarded-For from a peer that is not
 *   trusted) gets 403 `proxy_attribution_required` and the gateway's warning line.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
function line(subsystem, message, level = 'INFO') {
    const now = new Date();
    return `${JSON.stringify({
        '0': JSON.stringify({ subsystem }),
        '1': message,
        _meta: {
            runtime: 'node',
            hostname: 'builder',
            date: now.toISOString(),
            logLevelId: level === 'WARN' ? 4 : 3,
            logLevelName: level,
            name: JSON.stringify({ subsystem }),
            parentNames: ['openclaw'],
        },
        time: now.toISOString(),
        hostname: 'builder',
        message,
    })}\n`;
}
export async function startGatewayStandIn(opts) {
    appendFileSync(opts.log, line('gateway', 'starting HTTP server...'));
    const server = http.createServer((req, res) => {
        const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
        if (req.headers['x-forwarded-for'] !== undefined &&
            opts.trustedProxies !== undefined &&
            !opts.trustedProxies.includes(peer)) {
            appendFileSync(opts.log, line('gateway', `gateway: observed unattributable proxy-shaped traffic from ${peer}; Gateway-authenticated routes reject it, while plugin-authenticated routes ignore forwarded claims. Configure gateway.trustedProxies narrowly and make the proxy overwrite or safely rebuild forwarded client headers.`, 'WARN'));
            res.writeHead(403, { 'content-type': 'application/json' });
            res.end('{"error":"proxy_attribution_required"}\n');
            return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}\n');
    });
    await new Promise((resolve) => server.listen(opts.port, '127.0.0.1', () => resolve()));
    appendFileSync(opts.log, line('gateway', 'http server listening (0 plugins; 0.2s)'));
    return { port: opts.port, close: () => new Promise((r) => server.close(() => r())) };
}
//# sourceMappingURL=gatewayStandIn.js.map