/** Generated log lines for the benchmarks: nginx combined and the claw_json format, one request each. */
import { closeSync, openSync, writeSync } from 'node:fs';
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => String(n).padStart(2, '0');
export function combined(i) {
    const d = new Date(Date.UTC(2026, 10, 22) + Math.floor(i / 20) * 1000);
    const ts = `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
    return `10.0.${i % 250}.${i % 200} - - [${ts}] "GET /api/v1/sessions/${i % 5000}?r=${i} HTTP/1.1" ${i % 50 === 0 ? 502 : 200} ${1000 + (i % 900)} "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15"`;
}
export function clawJson(i) {
    const t = Date.UTC(2026, 10, 22) + i * 50;
    const d = new Date(t);
    const ms = (t / 1000).toFixed(3);
    const iso = `${d.toISOString().slice(0, 19)}+00:00`;
    const id = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(4);
    const up = i % 50 === 0
        ? ['127.0.0.1:18789', '502', '-', '-', '0.000', '0']
        : ['127.0.0.1:18789', '200', '0.000', '0.012', '0.015', '2048'];
    return JSON.stringify({
        ts: iso,
        msec: ms,
        time_local: `${p2(d.getUTCDate())}/Nov/2026:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`,
        req_id: id,
        nginx_request_id: id,
        connection: String(i),
        connection_requests: '1',
        pid: '4242',
        remote_addr: '127.0.0.1',
        remote_port: String(30000 + (i % 30000)),
        realip_remote_addr: '127.0.0.1',
        xff: '203.0.113.9',
        host: 'claw.example.com',
        server_name: 'claw.example.com',
        request: `GET /api/v1/sessions/${i % 5000} HTTP/1.1`,
        method: 'GET',
        uri: `/api/v1/sessions/${i % 5000}`,
        protocol: 'HTTP/1.1',
        status: up[1],
        body_bytes_sent: '2048',
        bytes_sent: '2300',
        request_length: '420',
        request_time: '0.016',
        upstream: up[0],
        upstream_status: up[1],
        upstream_connect_time: up[2],
        upstream_header_time: up[3],
        upstream_response_time: up[4],
        upstream_bytes_received: up[5],
        upstream_cache_status: '',
        http_upgrade: '',
        user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6)',
        referer: '',
        inbound_request_id: '',
        traceparent: '',
    });
}
export function generate(file, make, targetBytes) {
    const fd = openSync(file, 'w');
    let bytes = 0;
    let i = 0;
    while (bytes < targetBytes) {
        const chunk = [];
        for (let k = 0; k < 10_000; k++)
            chunk.push(make(i++));
        const s = `${chunk.join('\n')}\n`;
        bytes += Buffer.byteLength(s);
        writeSync(fd, s);
    }
    closeSync(fd);
    return i;
}
//# sourceMappingURL=lines.js.map