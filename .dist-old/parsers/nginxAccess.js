/**
 * nginx access logs in any `log_format`: the directive text is compiled once into a parser that
 * walks a line by the format's literal separators (no regex per line), decodes nginx's escaping
 * and maps each variable through the table in nginxVariables.ts.
 */
import { readJsonLine } from './jsonLine.js';
import { INDEXED_TARGETS, NGINX_VARIABLES, UPSTREAM_COLUMNS, upstreamAttempts, } from './nginxVariables.js';
import { checkTime, DEFAULT_MAX_LINE_CHARS, LogRecord, ParseError, } from './record.js';
import { makeIsoParser, makeTimeLocalParser } from './time.js';
import { UserError } from './userError.js';
export class LogFormatError extends UserError {
    name = 'LogFormatError';
}
/**
 * Reads `log_format NAME [escape=default|json|none] 'part' "part" ...;` as written in nginx.conf
 * (several quoted parts, any line breaks), or a bare format string.
 */
export function parseLogFormatDirective(text) {
    const t = text.trim();
    if (!/^log_format\s/.test(t)) {
        if (t.length === 0)
            throw new LogFormatError('the log format is empty');
        return { name: 'custom', escape: 'default', format: t };
    }
    const tokens = [];
    let i = 'log_format'.length;
    while (i < t.length) {
        const c = t[i];
        if (/\s/.test(c)) {
            i++;
            continue;
        }
        if (c === ';') {
            i++;
            break;
        }
        if (c === '#') {
            while (i < t.length && t[i] !== '\n')
                i++;
            continue;
        }
        if (c === "'" || c === '"') {
            let s = '';
            let j = i + 1;
            for (; j < t.length && t[j] !== c; j++) {
                if (t[j] === '\\' && j + 1 < t.length) {
                    const n = t[++j];
                    s += n === 't' ? '\t' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === c || n === '\\' ? n : `\\${n}`;
                }
                else {
                    s += t[j];
                }
            }
            if (j >= t.length)
                throw new LogFormatError(`unterminated ${c} quote in log_format`);
            tokens.push(s);
            i = j + 1;
            continue;
        }
        let j = i;
        while (j < t.length && !/[\s;]/.test(t[j]))
            j++;
        tokens.push(t.slice(i, j));
        i = j;
    }
    const name = tokens.shift();
    if (!name)
        throw new LogFormatError('log_format has no name');
    let escapeMode = 'default';
    if (tokens[0]?.startsWith('escape=')) {
        const e = tokens.shift().slice('escape='.length);
        if (e !== 'default' && e !== 'json' && e !== 'none') {
            throw new LogFormatError(`log_format ${name}: escape=${e} is not one of default, json, none`);
        }
        escapeMode = e;
    }
    if (tokens.length === 0)
        throw new LogFormatError(`log_format ${name} has no format string`);
    return { name, escape: escapeMode, format: tokens.join('') };
}
function splitTemplate(format) {
    const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
    const vars = [];
    const literals = [];
    let prefix;
    let last = 0;
    let m;
    while ((m = re.exec(format)) !== null) {
        const lit = format.slice(last, m.index);
        if (prefix === undefined)
            prefix = lit;
        else
            literals.push(lit);
        vars.push((m[1] ?? m[2]));
        last = re.lastIndex;
    }
    if (vars.length === 0)
        throw new LogFormatError('the log format has no $variables');
    literals.push(format.slice(last));
    for (let i = 0; i < vars.length - 1; i++) {
        if (literals[i] === '') {
            throw new LogFormatError(`$${vars[i]} and $${vars[i + 1]} have nothing between them: the line cannot be split there`);
        }
    }
    return { prefix: prefix ?? '', vars, literals };
}
const HEX_ESCAPE = /\\x([0-9A-Fa-f]{2})/g;
/** nginx default escaping: `"`, `\`, bytes < 32 and > 126 as `\xXX`; the bytes are UTF-8 text. */
export function decodeDefaultEscape(v) {
    if (v.indexOf('\\x') === -1)
        return v;
    const latin1 = v.replace(HEX_ESCAPE, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    // Only bytes decoded from escapes can be > 0x7f here, so the latin1 view is the byte string.
    return Buffer.from(latin1, 'latin1').toString('utf8');
}
/** nginx escape=json: `\"`, `\\`, `\n`, `\u00XX`. */
export function decodeJsonEscape(v) {
    if (v.indexOf('\\') === -1)
        return v;
    try {
        return JSON.parse(`"${v}"`);
    }
    catch {
        return v;
    }
}
function timeParsers() {
    return { local: makeTimeLocalParser(), iso: makeIsoParser() };
}
/** Finishes a record from the per-line state: time, start, upstream attempts. */
function finish(rec, st, hasUpstream) {
    const bad = checkTime(st.timeMs, 'the request time');
    if (bad)
        return bad;
    rec.time = st.timeMs;
    if (rec.durationMs !== undefined)
        rec.start = Math.round((st.timeMs - rec.durationMs) * 1000) / 1000;
    if (hasUpstream)
        rec.upstreams = upstreamAttempts(st.upstream);
    return rec;
}
const TIME_VARIABLES = ['msec', 'time_iso8601', 'time_local'];
/**
 * Slots that fill the same target, best first; groups in ascending order of their best prio so
 * that a more specific target (`$request_uri`) is applied after a broader one (`$request`).
 * A variable logged twice, or one without a spec, is a group of its own.
 */
function groupSlots(slots) {
    const byTarget = new Map();
    slots.forEach((s, i) => {
        const key = s.spec ? s.spec.target : `field:${s.name}:${i}`;
        const g = byTarget.get(key) ?? [];
        if (s.spec && g.some((j) => slots[j].name === s.name))
            byTarget.set(`${key}:${i}`, [i]);
        else
            byTarget.set(key, [...g, i]);
    });
    const prio = (i) => slots[i].spec?.prio ?? 0;
    const groups = [...byTarget.values()].map((g) => g.sort((a, b) => prio(b) - prio(a)));
    return groups.sort((a, b) => prio(a[0]) - prio(b[0]));
}
/** Compiles a log_format (directive text or bare format string) into a line parser. */
export function compileNginxLogFormat(formatOrDirective, opts = {}) {
    const lf = typeof formatOrDirective === 'string' ? parseLogFormatDirective(formatOrDirective) : formatOrDirective;
    const tpl = splitTemplate(lf.format);
    if (!tpl.vars.some((v) => TIME_VARIABLES.includes(v))) {
        throw new LogFormatError(`log_format ${lf.name} logs no time ($msec, $time_iso8601 or $time_local): add $msec`);
    }
    const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    const decode = lf.escape === 'json' ? decodeJsonEscape : lf.escape === 'default' ? decodeDefaultEscape : (v) => v;
    const slots = tpl.vars.map((name) => ({ name, spec: NGINX_VARIABLES[name] }));
    // The intake stores the raw line and a few columns; lookups parse the stored line in full. At
    // ingest, slicing, unescaping and converting the values nobody reads was ~half the parse.
    const groups = opts.indexOnly
        ? groupSlots(slots).filter((g) => INDEXED_TARGETS.has(slots[g[0]].spec?.target ?? ''))
        : groupSlots(slots);
    const hasUpstream = !opts.indexOnly && tpl.vars.some((v) => UPSTREAM_COLUMNS.includes(v));
    const { prefix, literals } = tpl;
    const n = slots.length;
    const parsers = timeParsers();
    // Where each value lies in the line; only the value that wins its target is ever sliced.
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const emptyIsMissing = lf.escape === 'json';
    // Per-line scratch, reused: upstreamAttempts copies what it needs out of it.
    const st = { timeMs: NaN, upstream: new Array(UPSTREAM_COLUMNS.length) };
    return (line) => {
        if (line.length === 0)
            return new ParseError('empty', 'empty line');
        if (line.length > maxLen)
            return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
        if (!line.startsWith(prefix))
            return new ParseError('format-mismatch', `line does not start with ${JSON.stringify(prefix)} (log_format ${lf.name})`);
        let pos = prefix.length;
        for (let i = 0; i < n; i++) {
            const lit = literals[i];
            let end;
            if (i === n - 1) {
                end = line.length - lit.length;
                if (end < pos || !line.endsWith(lit)) {
                    return new ParseError('truncated', `line ends before $${slots[i].name} is closed by ${JSON.stringify(lit)}`);
                }
            }
            else {
                end = line.indexOf(lit, pos);
                const spec = slots[i].spec;
                if (spec !== undefined && end > 0) {
                    if (spec.multi) {
                        // `a, b` and `a : b` inside one upstream value are not the separator that follows it.
                        while (end > 0 && (line.charCodeAt(end - 1) === 44 /* , */ || line.startsWith(' : ', end))) {
                            end = line.indexOf(lit, line.startsWith(' : ', end) ? end + 3 : end + 1);
                        }
                    }
                    else if (spec.spaces !== undefined && lit[0] === ' ') {
                        for (let k = 0; k < spec.spaces && end >= 0; k++)
                            end = line.indexOf(lit, end + 1);
                    }
                }
                if (end < 0) {
                    // Nothing matched past the first value: another format. Some matched: cut short.
                    return i === 0
                        ? new ParseError('format-mismatch', `no ${JSON.stringify(lit)} after $${slots[i].name}: not log_format ${lf.name}`)
                        : new ParseError('truncated', `no ${JSON.stringify(lit)} after $${slots[i].name}: the line is cut short (log_format ${lf.name})`);
                }
            }
            starts[i] = pos;
            ends[i] = end;
            pos = end + lit.length;
        }
        const rec = new LogRecord('nginx-access', NaN);
        st.timeMs = NaN;
        if (hasUpstream)
            st.upstream.fill(undefined);
        for (let g = 0; g < groups.length; g++) {
            const members = groups[g];
            for (let k = 0; k < members.length; k++) {
                const i = members[k];
                const from = starts[i];
                const len = ends[i] - from;
                // `-` (or "" with escape=json) is nginx's "not set": try the next-best variable for this target.
                if ((len === 1 && line.charCodeAt(from) === 45) || (len === 0 && emptyIsMissing))
                    continue;
                const v = decode(line.slice(from, from + len));
                const spec = slots[i].spec;
                if (spec)
                    spec.apply(rec, v, st, parsers);
                else
                    rec.setField(slots[i].name, v);
                break;
            }
        }
        if (rec.status === undefined && tpl.vars.includes('status')) {
            const i = tpl.vars.indexOf('status');
            return new ParseError('bad-field', `$status is not a number: ${JSON.stringify(line.slice(starts[i], Math.min(ends[i], starts[i] + 40)))}`);
        }
        return finish(rec, st, hasUpstream);
    };
}
/**
 * Keys commonly used for nginx variables in JSON log formats. A JSON access line with another
 * layout than a configured one is read through this map (and any key that is itself a variable
 * name); other keys are kept in `fields`.
 */
const JSON_KEY_ALIASES = {
    ts: 'time_iso8601',
    time: 'time_iso8601',
    timestamp: 'time_iso8601',
    '@timestamp': 'time_iso8601',
    req_id: 'req_id',
    nginx_request_id: 'request_id',
    request_id: 'request_id',
    xff: 'http_x_forwarded_for',
    x_forwarded_for: 'http_x_forwarded_for',
    upstream: 'upstream_addr',
    user_agent: 'http_user_agent',
    ua: 'http_user_agent',
    referer: 'http_referer',
    referrer: 'http_referer',
    method: 'request_method',
    uri: 'request_uri',
    protocol: 'server_protocol',
    upgrade: 'http_upgrade',
    traceparent: 'http_traceparent',
    inbound_request_id: 'http_x_request_id',
    client_request_id: 'http_x_request_id',
};
/** nginx access lines written as JSON by a format we were not given: keys mapped by name. */
export function makeNginxJsonParser(opts = {}) {
    const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    const parsers = timeParsers();
    return (line) => {
        const obj = readJsonLine(line, maxLen);
        if (obj instanceof ParseError)
            return obj;
        const rec = new LogRecord('nginx-access', NaN);
        const st = { timeMs: NaN, upstream: new Array(UPSTREAM_COLUMNS.length) };
        const entries = [];
        for (const [key, value] of Object.entries(obj)) {
            if (value === null || value === '' || value === '-')
                continue;
            if (typeof value === 'object') {
                rec.setField(key, JSON.stringify(value));
                continue;
            }
            const name = key.startsWith('$') ? key.slice(1) : key;
            const spec = NGINX_VARIABLES[JSON_KEY_ALIASES[name] ?? name];
            entries.push([spec, key, String(value)]);
        }
        // Best variable per target only, targets in ascending prio (as compiled formats do).
        entries.sort((a, b) => (b[0]?.prio ?? 0) - (a[0]?.prio ?? 0));
        const seen = new Set();
        const chosen = entries.filter(([spec]) => !spec || (!seen.has(spec.target) && seen.add(spec.target)));
        chosen.reverse();
        for (const [spec, key, v] of chosen) {
            if (spec)
                spec.apply(rec, v, st, parsers);
            else
                rec.setField(key, v);
        }
        if (Number.isNaN(st.timeMs))
            return new ParseError('missing-field', 'no time field (msec, ts, time_iso8601, time_local)');
        return finish(rec, st, true);
    };
}
/** Formats nginx ships or that we recommend; `--format nginx-<name>` selects one. */
export const BUILTIN_LOG_FORMATS = {
    combined: `log_format combined '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';`,
    main: `log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"';`,
    // The correlation format the README recommends: every field the joins and diagnoses use.
    claw_json: `log_format claw_json escape=json '{"ts":"$time_iso8601","msec":"$msec","time_local":"$time_local",'
    '"req_id":"$req_id","nginx_request_id":"$request_id","connection":"$connection",'
    '"connection_requests":"$connection_requests","pid":"$pid","remote_addr":"$remote_addr",'
    '"remote_port":"$remote_port","realip_remote_addr":"$realip_remote_addr","xff":"$http_x_forwarded_for",'
    '"host":"$host","server_name":"$server_name","request":"$request","method":"$request_method",'
    '"uri":"$request_uri","protocol":"$server_protocol","status":"$status","body_bytes_sent":"$body_bytes_sent",'
    '"bytes_sent":"$bytes_sent","request_length":"$request_length","request_time":"$request_time",'
    '"upstream":"$upstream_addr","upstream_status":"$upstream_status",'
    '"upstream_connect_time":"$upstream_connect_time","upstream_header_time":"$upstream_header_time",'
    '"upstream_response_time":"$upstream_response_time","upstream_bytes_received":"$upstream_bytes_received",'
    '"upstream_cache_status":"$upstream_cache_status","http_upgrade":"$http_upgrade",'
    '"user_agent":"$http_user_agent","referer":"$http_referer",'
    '"inbound_request_id":"$http_x_request_id","traceparent":"$http_traceparent"}';`,
};
//# sourceMappingURL=nginxAccess.js.map