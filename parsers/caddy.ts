/**
 * Caddy's JSON logs (2.6 .. 2.10): access lines (`http.log.access*`), error lines
 * (`http.log.error*`), the reverse proxy's debug lines (`http.handlers.reverse_proxy`) and the
 * runtime's own lines (admin, tls, http server start/stop, config loads: `caddy-runtime`; Caddy's
 * default logger writes them before any request line, and a config load is a proxy reload).
 * Honours a changed `time_format` (numbers in s/ms/ns, ISO/RFC 3339, wall, common_log) and
 * `duration_format` (seconds, nanoseconds, Go duration text).
 */
import { LogRecord, ParseError, type LineParser, type ParseResult, checkTime, DEFAULT_MAX_LINE_CHARS, type SourceKind, saneDuration } from './record.js';
import { classifyCaddyError } from './errorKinds.js';
import { epochNumberToMs, goDurationToMs, makeIsoParser, makeSlashWallParser, makeTimeLocalParser } from './time.js';

export interface CaddyOptions {
  /** Header that carries the request ID (default X-Request-Id); looked up in any letter case. */
  requestIdHeader?: string;
  /** `seconds` (default float), `nano` (integer ns) or `string` (Go duration); `auto` guesses. */
  durationFormat?: 'auto' | 'seconds' | 'nano' | 'string';
  /** Zone for `wall` time formats, which carry none. */
  zone?: string;
  maxLineChars?: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** First value of a Caddy header map (`{"X-Request-Id": ["abc"]}`), any letter case. */
function header(headers: unknown, name: string, lower: string): string | undefined {
  if (!isObject(headers)) return undefined;
  let v = headers[name];
  if (v === undefined) {
    for (const k in headers) if (k.toLowerCase() === lower) { v = headers[k]; break; }
  }
  if (Array.isArray(v)) v = v[0];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

function sourceOf(logger: string): SourceKind {
  if (logger.startsWith('http.log.access')) return 'caddy-access';
  if (logger.startsWith('http.log.error')) return 'caddy-error';
  if (logger.startsWith('http.handlers.reverse_proxy')) return 'caddy-proxy';
  return 'caddy-runtime';
}

export function makeCaddyParser(opts: CaddyOptions = {}): LineParser {
  const idHeader = opts.requestIdHeader ?? 'X-Request-Id';
  const idLower = idHeader.toLowerCase();
  const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const durationFormat = opts.durationFormat ?? 'auto';
  const iso = makeIsoParser();
  const wall = makeSlashWallParser(opts.zone ?? 'local');
  const common = makeTimeLocalParser();

  function timeOf(ts: unknown): number {
    if (typeof ts === 'number') return epochNumberToMs(ts);
    if (typeof ts !== 'string') return NaN;
    if (/^\d+(\.\d+)?$/.test(ts)) return epochNumberToMs(Number(ts));
    const t = iso(ts);
    if (!Number.isNaN(t)) return t;
    if (ts[4] === '/') return wall(ts.slice(0, 19)) + (ts[19] === '.' ? Number('0' + ts.slice(19)) * 1000 : 0);
    return common(ts);
  }

  function durationOf(d: unknown): number | undefined {
    if (typeof d === 'string') return saneDuration(goDurationToMs(d));
    if (typeof d !== 'number') return undefined;
    const nano = durationFormat === 'nano' || (durationFormat === 'auto' && Number.isInteger(d) && d >= 1000);
    return saneDuration(nano ? d / 1e6 : d * 1000);
  }

  return (line): ParseResult => {
    if (line.length === 0) return new ParseError('empty', 'empty line');
    if (line.length > maxLen) return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      return new ParseError(line.trimStart().startsWith('{') ? 'truncated' : 'not-json', `not valid JSON: ${(e as Error).message}`);
    }
    if (!isObject(o)) return new ParseError('not-an-object', 'the JSON line is not an object');
    // The default logger's own lines ("serving initial configuration") name no logger.
    const runtime = o.logger === undefined && typeof o.level === 'string' && typeof o.msg === 'string';
    if (typeof o.logger !== 'string' && !runtime) return new ParseError('missing-field', 'no "logger": not a Caddy log line');
    const source = typeof o.logger === 'string' ? sourceOf(o.logger) : 'caddy-runtime';
    if (o.ts === undefined) return new ParseError('missing-field', 'no "ts"');
    const time = timeOf(o.ts);
    const bad = checkTime(time, '"ts"');
    if (bad) return bad;
    const rec = new LogRecord(source, time);
    if (typeof o.level === 'string') rec.level = o.level;
    if (typeof o.msg === 'string') rec.message = o.msg;

    if (o.status !== undefined) {
      if (typeof o.status !== 'number' || !Number.isInteger(o.status)) return new ParseError('bad-field', `"status" is ${JSON.stringify(o.status).slice(0, 40)}, not a number`);
      rec.status = o.status; // 0 = nothing written (client gone; WebSocket on 2.6)
    }
    if (o.duration !== undefined) {
      rec.durationMs = durationOf(o.duration);
      if (rec.durationMs === undefined) return new ParseError('bad-field', `"duration" is ${JSON.stringify(o.duration).slice(0, 40)}, not a duration`);
      rec.start = Math.round((time - rec.durationMs) * 1000) / 1000;
    }
    if (typeof o.size === 'number') rec.bytesSent = o.size;
    if (typeof o.bytes_read === 'number') rec.bytesRead = o.bytes_read;
    if (typeof o.user_id === 'string' && o.user_id !== '') rec.user = o.user_id;

    const req = o.request;
    if (req !== undefined) {
      if (!isObject(req)) return new ParseError('bad-field', '"request" is not an object');
      if (typeof req.remote_ip === 'string') rec.clientAddr = req.remote_ip;
      if (typeof req.client_ip === 'string' && req.client_ip !== req.remote_ip) rec.setField('client_ip', req.client_ip);
      const port = typeof req.remote_port === 'string' ? Number(req.remote_port) : req.remote_port;
      if (typeof port === 'number' && Number.isInteger(port)) rec.clientPort = port;
      if (typeof req.proto === 'string') rec.protocol = req.proto;
      if (typeof req.method === 'string') rec.method = req.method;
      if (typeof req.host === 'string') rec.host = req.host;
      if (typeof req.uri === 'string') rec.uri = req.uri;
      const h = req.headers;
      if (h !== undefined) {
        if (!isObject(h)) return new ParseError('bad-field', '"request.headers" is not an object');
        rec.userAgent = header(h, 'User-Agent', 'user-agent');
        rec.referer = header(h, 'Referer', 'referer');
        rec.forwardedFor = header(h, 'X-Forwarded-For', 'x-forwarded-for');
        rec.upgrade = header(h, 'Upgrade', 'upgrade');
        rec.inboundRequestId = header(h, idHeader, idLower);
        const tp = header(h, 'Traceparent', 'traceparent');
        const m = tp === undefined ? null : TRACEPARENT.exec(tp);
        if (m) { rec.traceId = m[1]; rec.spanId = m[2]; }
      }
      if (isObject(req.tls)) rec.setField('tls', true);
    }
    // The ID Caddy made (uuid, 2.8+) or set as a response header beats the client's own.
    rec.requestId = (typeof o.uuid === 'string' && o.uuid !== '' ? o.uuid : undefined)
      ?? header(o.resp_headers, idHeader, idLower)
      ?? rec.inboundRequestId;

    if (source === 'caddy-runtime') {
      if (typeof o.logger === 'string') rec.setField('logger', o.logger);
      // Config loads (reloads) and errors of the server itself (accept: too many open files).
      rec.errorKind = classifyCaddyError(typeof o.error === 'string' ? `${rec.message ?? ''}: ${o.error}` : rec.message ?? '');
      return rec;
    }
    if (source !== 'caddy-access') {
      const errText = typeof o.error === 'string' ? o.error : source === 'caddy-error' ? rec.message : undefined;
      if (errText !== undefined) {
        // Debug/error lines of the proxy say what it was doing in msg and what failed in error.
        rec.errorKind = classifyCaddyError(errText === rec.message ? errText : `${rec.message}: ${errText}`);
        if (errText !== rec.message) rec.setField('error', errText);
      }
      if (typeof o.err_id === 'string') rec.errorId = o.err_id;
      if (typeof o.err_trace === 'string') rec.setField('err_trace', o.err_trace);
      if (typeof o.upstream === 'string') {
        rec.upstreams = [{
          addr: o.upstream,
          status: rec.status,
          responseMs: rec.durationMs,
          redirect: 0,
        }];
        if (source === 'caddy-proxy') rec.upstreamUrl = o.upstream;
      }
    }
    return rec;
  };
}
