/**
 * OpenClaw gateway file log: tslog JSON (`"0"` logger name, `"1"` object or message, `"2"`
 * message, `_meta`, local `time`), or the older `{time, level, subsystem, message}` shape.
 * Messages are read into structured events: WebSocket lifecycle, RPC results, gateway
 * lifecycle and trusted-proxy warnings. The message patterns are data (MESSAGE_RULES).
 */
import { compileTable, isJsonObject, read, readJsonLine, row, } from './jsonLine.js';
import { checkTime, DEFAULT_MAX_LINE_CHARS, LogRecord, ParseError, saneDuration, } from './record.js';
import { parseIso } from './time.js';
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
export function stripAnsi(s) {
    return s.indexOf('\x1b') === -1 ? s : s.replace(ANSI, '');
}
/** Keys of `key=value` pairs the gateway writes in its WebSocket and RPC messages. */
const KV_KEYS = [
    'conn',
    'peer',
    'remote',
    'fwd',
    'origin',
    'host',
    'ua',
    'code',
    'reason',
    'phase',
    'client',
    'id',
    'mode',
    'platform',
    'version',
    'cause',
    'durationMs',
    'user',
];
const KV_START = new RegExp(`(?:^| )(${KV_KEYS.join('|')})=`, 'g');
/**
 * `conn=abc remote=1.2.3.4 ua=Mozilla/5.0 (X11) code=1008` into pairs; a value runs to the next
 * known key, so values with spaces (user agents, reasons) stay whole.
 */
export function keyValues(msg) {
    const out = {};
    const starts = [];
    KV_START.lastIndex = 0;
    let m;
    while ((m = KV_START.exec(msg)) !== null)
        starts.push([m[1], m.index, KV_START.lastIndex]);
    for (let i = 0; i < starts.length; i++) {
        const [key, , valueStart] = starts[i];
        const end = i + 1 < starts.length ? starts[i + 1][1] : msg.length;
        const v = msg.slice(valueStart, end).trim();
        if (v !== 'n/a' && v !== '')
            out[key] = v;
    }
    return out;
}
const GATEWAY = /^gateway$/;
/** First match wins: specific before general. Texts as the gateway (2026.9) writes them. */
const MESSAGE_RULES = [
    { test: /⇄ res [✓✗]/, event: 'rpc' },
    { test: /\bclosed before connect\b/, event: 'ws-closed-before-connect' },
    { test: /\bdisconnected\b.*\bconn=/, event: 'ws-disconnected' },
    { test: /\bconnected\b.*\bconn=/, event: 'ws-connected' },
    { test: /trustedProxies|proxy-shaped traffic|proxy_attribution_required/, event: 'trusted-proxy' },
    { test: /^starting HTTP server/i, event: 'lifecycle', lifecycle: 'http-starting', subsystem: GATEWAY },
    {
        test: /^http server listening\b|\blistening on (?:ws|http)s?:\/\//i,
        event: 'lifecycle',
        lifecycle: 'listening',
        subsystem: GATEWAY,
    },
    { test: /^(?:gateway:? )?starting(?:\.\.\.|…)?$/i, event: 'lifecycle', lifecycle: 'starting', subsystem: GATEWAY },
    { test: /^(?:gateway:? )?ready\b/i, event: 'lifecycle', lifecycle: 'ready', subsystem: GATEWAY },
    // "shutdown budget at startup: ..." is a start line (2026.9); a clean stop says "received SIGTERM; shutting down" ... "shutdown completed cleanly".
    {
        test: /^(?:gateway:? )?(?:gateway )?(?:shutting down|shutdown(?! budget at startup)|stopping|received SIG(?:TERM|INT|HUP)|admission closed: stop)\b/i,
        event: 'lifecycle',
        lifecycle: 'shutdown',
        subsystem: GATEWAY,
    },
    { test: /^loading configuration/i, event: 'lifecycle', lifecycle: 'config', subsystem: GATEWAY },
];
const RPC = /⇄ res ([✓✗])(?: ([^\s=]+(?= |$)))?(?: (\d+(?:\.\d+)?)ms\b)?/;
const LISTEN_ADDR = /((?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:]+\]|localhost|0\.0\.0\.0):(\d{1,5})/;
const FROM_ADDR = /\bfrom ((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+)/;
const REQUEST_ID_KEYS = ['requestId', 'request_id', 'reqId', 'xRequestId', 'x-request-id'];
/** `{"subsystem":"gateway/ws"}` (tslog logger name) or a plain name into the subsystem. */
function subsystemOf(name) {
    if (typeof name !== 'string')
        return undefined;
    if (name.startsWith('{')) {
        try {
            const o = JSON.parse(name);
            if (isJsonObject(o) && typeof o.subsystem === 'string')
                return o.subsystem;
        }
        catch {
            return name;
        }
    }
    return name;
}
/** The gateway writes `n/a` for nothing, and numbers where text is meant (IDs, hosts). */
const str = Object.assign((v) => typeof v === 'string' && v !== '' && v !== 'n/a' ? v : typeof v === 'number' ? String(v) : undefined, { what: 'text' });
/** A number, or the text of one. */
const num = Object.assign((v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
}, { what: 'a number' });
const duration = Object.assign((v) => {
    const d = num(v);
    return d === undefined ? undefined : saneDuration(d);
}, { what: 'a duration' });
/** The structured object a gateway call passed (`"1"` in tslog): its keys that are record fields. */
const FIELDS_TABLE = [
    row('cause', str, (r, v) => (r.cause ??= v)),
    row('durationMs', duration, (r, v) => (r.durationMs ??= v)),
    row('remoteAddr', str, (r, v) => (r.clientAddr ??= v)),
    row('remotePort', num, (r, v) => (r.clientPort ??= v)),
    row('host', str, (r, v) => (r.host ??= v)),
    row('userAgent', str, (r, v) => (r.userAgent ??= v)),
    row('forwardedFor', str, (r, v) => (r.forwardedFor ??= v)),
    row('code', num, (r, v) => (r.closeCode ??= v)),
    row('reason', str, (r, v) => (r.closeReason ??= v)),
    row('connId', str, (r, v) => (r.conn ??= v)),
    row('conn', str, (r, v) => (r.conn ??= v)),
    ...REQUEST_ID_KEYS.map((k) => row(k, str, (r, v) => (r.requestId ??= v))),
];
/** The line's own keys, read after its message (a request ID in the fields comes first). */
const LINE_TABLE = [
    row('traceId', read.hex(32), (r, v) => (r.traceId ??= v)),
    row('spanId', read.hex(16), (r, v) => (r.spanId ??= v)),
    ...REQUEST_ID_KEYS.map((k) => row(k, str, (r, v) => (r.requestId ??= v))),
];
const fieldsTable = compileTable(FIELDS_TABLE);
const lineTable = compileTable(LINE_TABLE);
/** Keys of the fields object that are not kept again under `fields`. */
const MAPPED_FIELD_KEYS = new Set([...FIELDS_TABLE.map((r) => r.from), 'localAddr', 'localPort']);
function applyFields(rec, f) {
    fieldsTable(f, rec);
    // The local address is two keys.
    const la = str(f.localAddr);
    const lp = num(f.localPort);
    if (la !== undefined)
        rec.localAddr ??= lp !== undefined ? (la.includes(':') ? `[${la}]:${lp}` : `${la}:${lp}`) : la;
    for (const [k, v] of Object.entries(f)) {
        if (MAPPED_FIELD_KEYS.has(k))
            continue;
        if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
            rec.setField(k, v);
    }
}
function applyMessage(rec, msg) {
    let rule;
    for (const r of MESSAGE_RULES) {
        if (r.subsystem !== undefined && !r.subsystem.test(rec.subsystem ?? 'gateway'))
            continue;
        if (r.test.test(msg)) {
            rule = r;
            break;
        }
    }
    rec.event = rule?.event ?? 'log';
    rec.lifecycle = rule?.lifecycle;
    switch (rec.event) {
        case 'rpc': {
            const m = RPC.exec(msg);
            if (m) {
                rec.rpcOk = m[1] === '✓';
                const durationOnly = m[2] !== undefined && /^\d+(\.\d+)?ms$/.test(m[2]);
                rec.rpcMethod = durationOnly ? undefined : m[2];
                const d = durationOnly ? m[2].slice(0, -2) : m[3];
                if (d !== undefined)
                    rec.durationMs = saneDuration(Number(d));
            }
            const kv = keyValues(msg);
            rec.conn ??= kv.conn;
            rec.rpcId = kv.id;
            break;
        }
        case 'ws-connected':
        case 'ws-disconnected':
        case 'ws-closed-before-connect': {
            const kv = keyValues(msg);
            rec.conn ??= kv.conn;
            rec.clientAddr ??= kv.remote;
            rec.forwardedFor ??= kv.fwd;
            rec.host ??= kv.host;
            rec.userAgent ??= kv.ua;
            if (kv.code !== undefined)
                rec.closeCode ??= num(kv.code);
            rec.closeReason ??= kv.reason;
            if (kv.origin !== undefined)
                rec.setField('origin', kv.origin);
            if (kv.phase !== undefined)
                rec.setField('phase', kv.phase);
            if (kv.client !== undefined)
                rec.setField('client', kv.client);
            if (kv.peer !== undefined) {
                rec.setField('peer', kv.peer);
                const arrow = kv.peer.indexOf('->');
                if (arrow > 0)
                    rec.localAddr ??= kv.peer.slice(arrow + 2);
            }
            break;
        }
        case 'lifecycle':
            if (rec.lifecycle === 'listening')
                rec.localAddr = LISTEN_ADDR.exec(msg)?.[0];
            break;
        case 'trusted-proxy':
            rec.clientAddr = FROM_ADDR.exec(msg)?.[1];
            break;
        default:
            break;
    }
}
export function makeOpenClawParser(opts = {}) {
    const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    return (line) => {
        const j = readJsonLine(line, maxLen);
        if (j instanceof ParseError)
            return j;
        const meta = isJsonObject(j._meta) ? j._meta : undefined;
        const timeText = typeof meta?.date === 'string' ? meta.date : typeof j.time === 'string' ? j.time : undefined;
        if (timeText === undefined) {
            return new ParseError(j._meta !== undefined || j.time !== undefined ? 'bad-field' : 'missing-field', 'no time: neither _meta.date nor "time" is a timestamp string');
        }
        const time = parseIso(timeText);
        const bad = checkTime(time, `the time "${timeText.slice(0, 40)}"`);
        if (bad)
            return bad;
        const rec = new LogRecord('openclaw', time);
        let message;
        let fields;
        if (meta !== undefined || '0' in j) {
            rec.subsystem = subsystemOf(j['0']) ?? subsystemOf(meta?.name);
            // tslog numbers the call's arguments: the first string is the message, the first object its fields.
            for (let i = 1; i <= 4; i++) {
                const a = j[String(i)];
                if (a === undefined)
                    break;
                if (typeof a === 'string')
                    message ??= a;
                else if (typeof a === 'object' && a !== null)
                    fields ??= a;
            }
            if (typeof j.message === 'string')
                message = j.message;
            rec.level = typeof meta?.logLevelName === 'string' ? meta.logLevelName.toLowerCase() : undefined;
            rec.hostname = str(j.hostname) ?? str(meta?.hostname);
        }
        else {
            if (j.subsystem === undefined && j.message === undefined && j.msg === undefined) {
                return new ParseError('missing-field', 'not a gateway line: no _meta, "subsystem" or "message"');
            }
            rec.subsystem = str(j.subsystem);
            rec.level = typeof j.level === 'string' ? j.level.toLowerCase() : undefined;
            message = j.message ?? j.msg;
            rec.hostname = str(j.hostname);
            fields = j.fields;
        }
        if (message !== undefined && typeof message !== 'string')
            return new ParseError('bad-field', `the message is ${typeof message}, not text`);
        const msg = message === undefined ? '' : stripAnsi(message);
        rec.message = msg;
        if (isJsonObject(fields))
            applyFields(rec, fields);
        applyMessage(rec, msg);
        lineTable(j, rec);
        return rec;
    };
}
//# sourceMappingURL=openclaw.js.map