/**
 * The one normalized record every parser produces (the design's "record": what every source says of a request, one shape).
 *
 * Times are epoch milliseconds UTC. Access logs write the end of a request; `start` is derived
 * from the duration. Optional fields are `undefined` when the log did not carry them: a parser
 * never invents a value. Provenance (`file`, `offset`, `lineNo`) is filled by whoever read the line.
 */
export const SOURCE_KINDS = [
    'nginx-access',
    'nginx-error',
    'caddy-access',
    'caddy-error',
    'caddy-proxy',
    'caddy-runtime',
    'openclaw',
];
/** The sources whose lines are requests (one per request, with a status): the rest are what happened around them. */
export const ACCESS_SOURCES = ['nginx-access', 'caddy-access'];
const ACCESS_SET = new Set(ACCESS_SOURCES);
export const isAccessSource = (source) => ACCESS_SET.has(source);
/** The client asked for a WebSocket (the Upgrade header it sent), whatever the answer was. */
export const asksForWebSocket = (r) => r.upgrade?.toLowerCase() === 'websocket';
export class LogRecord {
    source;
    /** Epoch ms UTC of the line (end of request for access lines). */
    time;
    start = undefined;
    durationMs = undefined;
    level = undefined;
    // Correlation keys.
    /** The ID the proxy propagated upstream (nginx $request_id/$req_id, Caddy uuid/X-Request-Id). */
    requestId = undefined;
    /** The X-Request-Id the client sent, when logged separately (next hop's view of an edge proxy). */
    inboundRequestId = undefined;
    traceId = undefined;
    spanId = undefined;
    /** nginx $connection / error-log `*N`; Caddy has none. */
    connection = undefined;
    pid = undefined;
    tid = undefined;
    // HTTP.
    method = undefined;
    uri = undefined;
    protocol = undefined;
    /** The raw request line when the log has one (nginx `$request`, error-log `request:`). */
    request = undefined;
    host = undefined;
    serverName = undefined;
    status = undefined;
    bytesSent = undefined;
    bytesRead = undefined;
    clientAddr = undefined;
    clientPort = undefined;
    forwardedFor = undefined;
    userAgent = undefined;
    referer = undefined;
    user = undefined;
    /** The Upgrade header the client sent ("websocket" for a WS handshake). */
    upgrade = undefined;
    upstreams = undefined;
    // Error lines.
    message = undefined;
    /** A classified cause from the error catalog (parsers/errorKinds.ts). */
    errorKind = undefined;
    errno = undefined;
    /** nginx `while ...` phase. */
    action = undefined;
    upstreamUrl = undefined;
    errorId = undefined;
    // Gateway.
    subsystem = undefined;
    event = undefined;
    lifecycle = undefined;
    /** Gateway WebSocket connection id (a uuid, or `abcd1234…ef12` as abbreviated on RPC lines). */
    conn = undefined;
    closeCode = undefined;
    closeReason = undefined;
    cause = undefined;
    rpcMethod = undefined;
    rpcOk = undefined;
    rpcId = undefined;
    localAddr = undefined;
    hostname = undefined;
    /** Everything the log carried that has no field above, under its own name. */
    fields = undefined;
    /** The line had bytes that are not UTF-8; they were replaced by U+FFFD. */
    invalidUtf8 = undefined;
    // Provenance, set by the reader.
    file = undefined;
    offset = undefined;
    lineNo = undefined;
    constructor(source, time) {
        this.source = source;
        this.time = time;
    }
    setField(name, value) {
        (this.fields ??= {})[name] = value;
    }
}
/** A line that could not be read; never thrown, returned in place of a record. */
export class ParseError {
    reason;
    detail;
    constructor(reason, detail) {
        this.reason = reason;
        this.detail = detail;
    }
}
// 2000-01-01 .. 2100-01-01: anything outside is a broken clock or a misread field.
const MIN_TIME = 946_684_800_000;
const MAX_TIME = 4_102_444_800_000;
export function checkTime(ms, what) {
    if (!Number.isFinite(ms))
        return new ParseError('bad-time', `${what} is not a time`);
    if (ms < MIN_TIME || ms > MAX_TIME) {
        return new ParseError('time-out-of-range', `${what} (${ms} ms since the epoch) is outside the years 2000..2100`);
    }
    return undefined;
}
/** Parse a non-negative decimal integer; `undefined` for `-`, empty or junk. */
export function toInt(s) {
    if (s === undefined || s.length === 0 || s === '-')
        return undefined;
    const n = Number(s);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
}
/** Longer than this is not a request's duration but a broken field. */
export const MAX_DURATION_MS = 366 * 24 * 3600 * 1000;
/** A duration in ms if it is one: finite, not negative, at most MAX_DURATION_MS. */
export function saneDuration(ms) {
    return ms >= 0 && ms <= MAX_DURATION_MS ? ms : undefined; // NaN fails both comparisons
}
/** Seconds as written by nginx ("0.123") or Caddy (float) to milliseconds; undefined for `-`. */
export function secondsToMs(s) {
    if (s === undefined || s.length === 0 || s === '-')
        return undefined;
    return saneDuration(Math.round(Number(s) * 1e6) / 1e3);
}
/** Lines longer than this are refused by every parser (the reader may cut earlier). */
export const DEFAULT_MAX_LINE_CHARS = 256 * 1024;
//# sourceMappingURL=record.js.map