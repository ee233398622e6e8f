/**
 * Log lines in the real formats, made to order for unit tests of joins and diagnoses: nginx JSON
 * access lines by variable name, nginx error lines, OpenClaw gateway (tslog) lines, and an index
 * built from them. Real servers write the fixtures; these are for shapes a test must pin exactly.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { intakeFile } from '../../src/intake/intakeFile.js';
import { RecordIndex } from '../../src/store/recordIndex.js';
export const T0 = Date.UTC(2026, 10, 22, 13, 0, 0);
const iso = (ms) => new Date(ms).toISOString();
export function gatewayLine(ms, subsystem, message, fields, level = 'INFO') {
    const o = { '0': JSON.stringify({ subsystem }) };
    if (fields) {
        o['1'] = fields;
        o['2'] = message;
    }
    else
        o['1'] = message;
    o._meta = { date: iso(ms), logLevelName: level, name: JSON.stringify({ subsystem }) };
    o.time = iso(ms);
    return JSON.stringify(o);
}
/** An access line for the `nginx-json` format: nginx variable names (or its aliases) to values. */
export function nginxJson(o) {
    return JSON.stringify({
        remote_addr: '127.0.0.1',
        host: 'claw.example.com',
        request_method: 'GET',
        server_protocol: 'HTTP/1.1',
        ...o,
    });
}
/** An nginx error-log line at `ms` (UTC). */
export function nginxErrorLine(ms, level, conn, message) {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    const when = `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
    return `${when} [${level}] 11#11: ${conn === undefined ? '' : `*${conn} `}${message}`;
}
/** Writes each file into `dir` and indexes it (zone UTC) into `dir`/i.db. */
export async function indexLines(dir, files) {
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    for (const [name, f] of Object.entries(files)) {
        writeFileSync(path.join(dir, name), `${f.lines.join('\n')}\n`);
        await intakeFile(idx, path.join(dir, name), { format: f.format, region: f.region, zone: 'UTC' });
    }
    return idx;
}
//# sourceMappingURL=logLines.js.map