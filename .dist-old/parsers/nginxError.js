/**
 * nginx error log:
 * `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message[ (errno: text)][ while action], client: A,
 *  server: S, request: "LINE"[, upstream: "URL"], host: "H"[, referrer: "R"]`
 * The time has no zone (nginx writes local time): the zone comes from configuration.
 */
import { classifyNginxError } from './errorKinds.js';
import { applyRequestLine } from './nginxVariables.js';
import { checkTime, DEFAULT_MAX_LINE_CHARS, LogRecord, ParseError } from './record.js';
import { makeSlashWallParser } from './time.js';
const HEAD = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[([a-z]+)\] (\d+)#(\d+): (?:\*(\d+) )?/;
const ERRNO = /\((\d+): ([^)]*)\)/;
const CONTEXT_KEYS = ['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer'];
/** nginx cuts error lines at NGX_MAX_ERROR_STR (2048 bytes) */
const NGINX_ERROR_LINE_MAX = 2047;
/** Forward scan of `key: value, key: "value"` pairs; a quoted value ends at `", <known key>: `. */
function scanContext(tail, out) {
    let pos = 0;
    while (pos < tail.length) {
        const colon = tail.indexOf(': ', pos);
        if (colon < 0)
            break;
        const key = tail.slice(pos, colon);
        let v = colon + 2;
        let value;
        if (tail[v] === '"') {
            v++;
            let end = -1;
            for (let q = tail.indexOf('"', v); q >= 0; q = tail.indexOf('"', q + 1)) {
                if (q === tail.length - 1 || CONTEXT_KEYS.some((k) => tail.startsWith(`, ${k}: `, q + 1))) {
                    end = q;
                    break;
                }
            }
            if (end < 0) {
                value = tail.slice(v);
                pos = tail.length;
            } // cut at 2048 bytes
            else {
                value = tail.slice(v, end);
                pos = end + 3;
            }
        }
        else {
            let end = tail.indexOf(', ', v);
            if (end < 0)
                end = tail.length;
            value = tail.slice(v, end);
            pos = end + 2;
        }
        if (CONTEXT_KEYS.includes(key))
            out[key] = value;
    }
}
/**
 * `client: A, server: S, request: "...", upstream: "...", host: "H", referrer: "..."`.
 * The request line and referrer are raw client bytes and may contain `", host: "`; the Host
 * header cannot contain `"` (nginx refuses it). So the last well-formed `host: "H"` anchors the
 * line: request/upstream lie before it, the referrer after it.
 */
function parseContext(tail) {
    const out = {};
    for (let h = tail.lastIndexOf(', host: "'); h >= 0; h = tail.lastIndexOf(', host: "', h - 1)) {
        const v = h + 9;
        const q = tail.indexOf('"', v);
        if (q < 0)
            continue;
        const after = tail.slice(q + 1);
        if (after !== '' && !(after.startsWith(', referrer: "') && after.endsWith('"')))
            continue;
        out.host = tail.slice(v, q);
        if (after !== '')
            out.referrer = after.slice(13, -1);
        let mid = tail.slice(0, h);
        for (const key of ['upstream', 'subrequest']) {
            const at = mid.lastIndexOf(`", ${key}: "`);
            if (at >= 0 && mid.endsWith('"')) {
                out[key] = mid.slice(at + key.length + 6, -1);
                mid = mid.slice(0, at + 1);
            }
        }
        const r = mid.indexOf(', request: "');
        if (r >= 0 && mid.endsWith('"')) {
            out.request = mid.slice(r + 12, -1);
            mid = mid.slice(0, r);
        }
        scanContext(mid, out);
        return out;
    }
    scanContext(tail, out); // no host: cut at 2048 bytes, or a context without one
    return out;
}
export function makeNginxErrorParser(opts = {}) {
    const wall = makeSlashWallParser(opts.zone ?? 'local');
    const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    return (line) => {
        if (line.length === 0)
            return new ParseError('empty', 'empty line');
        if (line.length > maxLen)
            return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
        const h = HEAD.exec(line);
        if (!h) {
            return /^\d{4}\/\d\d\/\d\d/.test(line) && line.length < 40
                ? new ParseError('truncated', 'the line ends inside the time/level/pid header')
                : new ParseError('format-mismatch', 'not an nginx error line (expected "YYYY/MM/DD HH:MM:SS [level] PID#TID: ...")');
        }
        const time = wall(h[1]);
        const bad = checkTime(time, 'the error time');
        if (bad)
            return bad;
        const rec = new LogRecord('nginx-error', time);
        rec.level = h[2];
        rec.pid = Number(h[3]);
        rec.tid = Number(h[4]);
        if (h[5] !== undefined)
            rec.connection = Number(h[5]);
        const rest = line.slice(h[0].length);
        const ctx = rest.indexOf(', client: ');
        const message = ctx < 0 ? rest : rest.slice(0, ctx);
        rec.message = message;
        const errno = ERRNO.exec(message);
        if (errno)
            rec.errno = Number(errno[1]);
        const w = message.lastIndexOf(' while ');
        if (w >= 0)
            rec.action = message.slice(w + 7);
        rec.errorKind = classifyNginxError(message);
        if (ctx >= 0) {
            const c = parseContext(rest.slice(ctx + 2));
            rec.clientAddr = c.client;
            rec.serverName = c.server;
            if (c.request !== undefined)
                applyRequestLine(rec, c.request);
            if (c.subrequest !== undefined)
                rec.setField('subrequest', c.subrequest);
            rec.upstreamUrl = c.upstream;
            rec.host = c.host;
            rec.referer = c.referrer;
        }
        if (line.length >= NGINX_ERROR_LINE_MAX / 4 && Buffer.byteLength(line) >= NGINX_ERROR_LINE_MAX)
            rec.setField('truncatedByNginx', true);
        return rec;
    };
}
//# sourceMappingURL=nginxError.js.map