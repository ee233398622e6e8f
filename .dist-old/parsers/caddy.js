/**
 * Caddy's JSON logs (2.6 .. 2.10): access lines (`http.log.access*`), error lines
 * (`http.log.error*`), the reverse proxy's debug lines (`http.handlers.reverse_proxy`) and the
 * runtime's own lines (admin, tls, http server start/stop, config loads: `caddy-runtime`; Caddy's
 * default logger writes them before any request line, and a config load is a proxy reload).
 * Honours a changed `time_format` (numbers in s/ms/ns, ISO/RFC 3339, wall, common_log) and
 * `duration_format` (seconds, nanoseconds, Go duration text).
 */
import { classifyCaddyError } from './errorKinds.js';
import { compileTable, isJsonObject, read, readJsonLine, row } from './jsonLine.js';
import { TRACEPARENT } from './nginxVariables.js';
import { checkTime, DEFAULT_MAX_LINE_CHARS, LogRecord, ParseError, saneDuration, } from './record.js';
import { epochNumberToMs, goDurationToMs, makeIsoParser, makeSlashWallParser, makeTimeLocalParser } from './time.js';
function sourceOf(logger) {
    if (logger.startsWith('http.log.access'))
        return 'caddy-access';
    if (logger.startsWith('http.log.error'))
        return 'caddy-error';
    if (logger.startsWith('http.handlers.reverse_proxy'))
        return 'caddy-proxy';
    return 'caddy-runtime';
}
/** The fields a table can say: where each is in Caddy's JSON, its type, the record field it sets. */
function caddyTable(idHeader) {
    const header = read.header;
    const id = header(idHeader);
    return [
        row('status', read.integer, (r, v) => (r.status ??= v), true), // 0 = nothing written (client gone; WebSocket on 2.6)
        row('level', read.string, (r, v) => (r.level ??= v)),
        row('msg', read.string, (r, v) => (r.message ??= v)),
        row('size', read.number, (r, v) => (r.bytesSent ??= v)),
        row('bytes_read', read.number, (r, v) => (r.bytesRead ??= v)),
        row('user_id', read.text, (r, v) => (r.user ??= v)),
        row('request.remote_ip', read.string, (r, v) => (r.clientAddr ??= v)),
        row('request.remote_port', read.integerOrText, (r, v) => (r.clientPort ??= v)),
        row('request.proto', read.string, (r, v) => (r.protocol ??= v)),
        row('request.method', read.string, (r, v) => (r.method ??= v)),
        row('request.host', read.string, (r, v) => (r.host ??= v)),
        row('request.uri', read.string, (r, v) => (r.uri ??= v)),
        row('request.headers', header('User-Agent'), (r, v) => (r.userAgent ??= v)),
        row('request.headers', header('Referer'), (r, v) => (r.referer ??= v)),
        row('request.headers', header('X-Forwarded-For'), (r, v) => (r.forwardedFor ??= v)),
        row('request.headers', header('Upgrade'), (r, v) => (r.upgrade ??= v)),
        row('request.headers', id, (r, v) => (r.inboundRequestId ??= v)),
        // The ID Caddy made (uuid, 2.8+) or set as a response header beats the client's own (see the parser).
        row('uuid', read.text, (r, v) => (r.requestId ??= v)),
        row('resp_headers', id, (r, v) => (r.requestId ??= v)),
        row('request.tls', read.present, (r, v) => r.setField('tls', v)),
    ];
}
const traceparent = read.header('Traceparent');
export function makeCaddyParser(opts = {}) {
    const idHeader = opts.requestIdHeader ?? 'X-Request-Id';
    const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    const durationFormat = opts.durationFormat ?? 'auto';
    const iso = makeIsoParser();
    const wall = makeSlashWallParser(opts.zone ?? 'local');
    const common = makeTimeLocalParser();
    function timeOf(ts) {
        if (typeof ts === 'number')
            return epochNumberToMs(ts);
        if (typeof ts !== 'string')
            return NaN;
        if (/^\d+(\.\d+)?$/.test(ts))
            return epochNumberToMs(Number(ts));
        const t = iso(ts);
        if (!Number.isNaN(t))
            return t;
        if (ts[4] === '/')
            return wall(ts.slice(0, 19)) + (ts[19] === '.' ? Number(`0${ts.slice(19)}`) * 1000 : 0);
        return common(ts);
    }
    function durationOf(d) {
        if (typeof d === 'string')
            return saneDuration(goDurationToMs(d));
        if (typeof d !== 'number')
            return undefined;
        const nano = durationFormat === 'nano' || (durationFormat === 'auto' && Number.isInteger(d) && d >= 1000);
        return saneDuration(nano ? d / 1e6 : d * 1000);
    }
    const table = compileTable(caddyTable(idHeader));
    return (line) => {
        const o = readJsonLine(line, maxLen);
        if (o instanceof ParseError)
            return o;
        // The default logger's own lines ("serving initial configuration") name no logger.
        const runtime = o.logger === undefined && typeof o.level === 'string' && typeof o.msg === 'string';
        if (typeof o.logger !== 'string' && !runtime)
            return new ParseError('missing-field', 'no "logger": not a Caddy log line');
        const source = typeof o.logger === 'string' ? sourceOf(o.logger) : 'caddy-runtime';
        if (o.ts === undefined)
            return new ParseError('missing-field', 'no "ts"');
        const time = timeOf(o.ts);
        const bad = checkTime(time, '"ts"');
        if (bad)
            return bad;
        const rec = new LogRecord(source, time);
        const wrong = table(o, rec);
        if (wrong)
            return wrong;
        // What the table cannot say: the duration in the configured format, the shapes refused, the
        // client IP only when it differs, the trace context split in two.
        if (o.duration !== undefined) {
            rec.durationMs = durationOf(o.duration);
            if (rec.durationMs === undefined)
                return new ParseError('bad-field', `"duration" is ${JSON.stringify(o.duration).slice(0, 40)}, not a duration`);
            rec.start = Math.round((time - rec.durationMs) * 1000) / 1000;
        }
        const req = o.request;
        if (req !== undefined) {
            if (!isJsonObject(req))
                return new ParseError('bad-field', '"request" is not an object');
            if (typeof req.client_ip === 'string' && req.client_ip !== req.remote_ip)
                rec.setField('client_ip', req.client_ip);
            if (req.headers !== undefined && !isJsonObject(req.headers))
                return new ParseError('bad-field', '"request.headers" is not an object');
            const tp = traceparent(req.headers);
            const m = tp === undefined ? null : TRACEPARENT.exec(tp);
            if (m) {
                rec.traceId = m[1];
                rec.spanId = m[2];
            }
        }
        rec.requestId ??= rec.inboundRequestId;
        if (source === 'caddy-runtime') {
            if (typeof o.logger === 'string')
                rec.setField('logger', o.logger);
            // Config loads (reloads) and errors of the server itself (accept: too many open files).
            rec.errorKind = classifyCaddyError(typeof o.error === 'string' ? `${rec.message ?? ''}: ${o.error}` : (rec.message ?? ''));
            return rec;
        }
        if (source !== 'caddy-access') {
            const errText = typeof o.error === 'string' ? o.error : source === 'caddy-error' ? rec.message : undefined;
            if (errText !== undefined) {
                // Debug/error lines of the proxy say what it was doing in msg and what failed in error.
                rec.errorKind = classifyCaddyError(errText === rec.message ? errText : `${rec.message}: ${errText}`);
                if (errText !== rec.message)
                    rec.setField('error', errText);
            }
            if (typeof o.err_id === 'string')
                rec.errorId = o.err_id;
            if (typeof o.err_trace === 'string')
                rec.setField('err_trace', o.err_trace);
            if (typeof o.upstream === 'string') {
                rec.upstreams = [
                    {
                        addr: o.upstream,
                        status: rec.status,
                        responseMs: rec.durationMs,
                        redirect: 0,
                    },
                ];
                if (source === 'caddy-proxy')
                    rec.upstreamUrl = o.upstream;
            }
        }
        return rec;
    };
}
//# sourceMappingURL=caddy.js.map