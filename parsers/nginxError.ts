/**
 * nginx error log:
 * `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message[ (errno: text)][ while action], client: A,
 *  server: S, request: "LINE"[, upstream: "URL"], host: "H"[, referrer: "R"]`
 * The time has no zone (nginx writes local time): the zone comes from configuration.
 */
import { LogRecord, ParseError, type LineParser, checkTime, DEFAULT_MAX_LINE_CHARS } from './record.js';
import { applyRequestLine } from './nginxVariables.js';
import { classifyNginxError } from './errorKinds.js';
import { makeSlashWallParser } from './time.js';

export interface NginxErrorOptions {
  /** Zone of the error log's wall-clock times: `local`, `UTC`, `+02:00` or an IANA name. */
  zone?: string;
  maxLineChars?: number;
}

const HEAD = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[([a-z]+)\] (\d+)#(\d+): (?:\*(\d+) )?/;
const ERRNO = /\((\d+): ([^)]*)\)/;
const CONTEXT_KEYS = ['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer'] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];
/** nginx cuts error lines at NGX_MAX_ERROR_STR (2048 bytes) */
const NGINX_ERROR_LINE_MAX = 2047;

/** `client: A, server: S, request: "..."...` into its parts; quoted values may hold `, `. */
function parseContext(tail: string): Partial<Record<ContextKey, string>> {
  const out: Partial<Record<ContextKey, string>> = {};
  let pos = 0;
  while (pos < tail.length) {
    const colon = tail.indexOf(': ', pos);
    if (colon < 0) break;
    const key = tail.slice(pos, colon) as ContextKey;
    let v = colon + 2;
    let end: number;
    let value: string;
    if (tail[v] === '"') {
      v++;
      // A quoted value ends at `"` followed by `, <known key>: ` or by the end of the line.
      end = -1;
      let from = v;
      while (from <= tail.length) {
        const q = tail.indexOf('"', from);
        if (q < 0) break;
        if (q === tail.length - 1 || CONTEXT_KEYS.some((k) => tail.startsWith(`, ${k}: `, q + 1))) { end = q; break; }
        from = q + 1;
      }
      if (end < 0) { value = tail.slice(v); pos = tail.length; } // cut at 2048 bytes
      else { value = tail.slice(v, end); pos = end + 3; }
    } else {
      end = tail.indexOf(', ', v);
      if (end < 0) end = tail.length;
      value = tail.slice(v, end);
      pos = end + 2;
    }
    if ((CONTEXT_KEYS as readonly string[]).includes(key)) out[key] = value;
  }
  return out;
}

export function makeNginxErrorParser(opts: NginxErrorOptions = {}): LineParser {
  const wall = makeSlashWallParser(opts.zone ?? 'local');
  const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  return (line) => {
    if (line.length === 0) return new ParseError('empty', 'empty line');
    if (line.length > maxLen) return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
    const h = HEAD.exec(line);
    if (!h) {
      return /^\d{4}\/\d\d\/\d\d/.test(line) && line.length < 40
        ? new ParseError('truncated', 'the line ends inside the time/level/pid header')
        : new ParseError('format-mismatch', 'not an nginx error line (expected "YYYY/MM/DD HH:MM:SS [level] PID#TID: ...")');
    }
    const time = wall(h[1]!);
    const bad = checkTime(time, 'the error time');
    if (bad) return bad;
    const rec = new LogRecord('nginx-error', time);
    rec.level = h[2];
    rec.pid = Number(h[3]);
    rec.tid = Number(h[4]);
    if (h[5] !== undefined) rec.connection = Number(h[5]);
    const rest = line.slice(h[0].length);
    const ctx = rest.indexOf(', client: ');
    const message = ctx < 0 ? rest : rest.slice(0, ctx);
    rec.message = message;
    const errno = ERRNO.exec(message);
    if (errno) rec.errno = Number(errno[1]);
    const w = message.lastIndexOf(' while ');
    if (w >= 0) rec.action = message.slice(w + 7);
    rec.errorKind = classifyNginxError(message);
    if (ctx >= 0) {
      const c = parseContext(rest.slice(ctx + 2));
      rec.clientAddr = c.client;
      rec.serverName = c.server;
      if (c.request !== undefined) applyRequestLine(rec, c.request);
      if (c.subrequest !== undefined) rec.setField('subrequest', c.subrequest);
      rec.upstreamUrl = c.upstream;
      rec.host = c.host;
      rec.referer = c.referrer;
    }
    if (line.length >= NGINX_ERROR_LINE_MAX / 4 && Buffer.byteLength(line) >= NGINX_ERROR_LINE_MAX) rec.setField('truncatedByNginx', true);
    return rec;
  };
}
