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
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
/** The sources whose lines are requests (one per request, with a status): the rest are what happened around them. */
export const ACCESS_SOURCES = ['nginx-access', 'caddy-access'] as const satisfies readonly SourceKind[];
const ACCESS_SET: ReadonlySet<string> = new Set(ACCESS_SOURCES);
export const isAccessSource = (source: string): boolean => ACCESS_SET.has(source);
/** The client asked for a WebSocket (the Upgrade header it sent), whatever the answer was. */
export const asksForWebSocket = (r: { upgrade?: string }): boolean => r.upgrade?.toLowerCase() === 'websocket';

/** One server tried by the proxy; nginx writes one per server, grouped by internal redirect. */
export interface UpstreamAttempt {
  addr: string;
  /** undefined where the log has `-` (no response, e.g. connect failed before a status). */
  status?: number;
  connectMs?: number;
  headerMs?: number;
  responseMs?: number;
  bytesReceived?: number;
  bytesSent?: number;
  /** 0 for the first location; n for the n-th internal redirect (nginx ` : `). */
  redirect: number;
}

/** What a gateway line says happened. */
export type GatewayEvent =
  | 'ws-connected'
  | 'ws-disconnected'
  | 'ws-closed-before-connect'
  | 'rpc'
  | 'lifecycle'
  | 'trusted-proxy'
  | 'log';

export type Lifecycle = 'starting' | 'http-starting' | 'listening' | 'ready' | 'shutdown' | 'config';

export type FieldValue = string | number | boolean | null;

export class LogRecord {
  source: SourceKind;
  /** Epoch ms UTC of the line (end of request for access lines). */
  time: number;
  start: number | undefined = undefined;
  durationMs: number | undefined = undefined;
  level: string | undefined = undefined;

  // Correlation keys.
  /** The ID the proxy propagated upstream (nginx $request_id/$req_id, Caddy uuid/X-Request-Id). */
  requestId: string | undefined = undefined;
  /** The X-Request-Id the client sent, when logged separately (next hop's view of an edge proxy). */
  inboundRequestId: string | undefined = undefined;
  traceId: string | undefined = undefined;
  spanId: string | undefined = undefined;
  /** nginx $connection / error-log `*N`; Caddy has none. */
  connection: number | undefined = undefined;
  pid: number | undefined = undefined;
  tid: number | undefined = undefined;

  // HTTP.
  method: string | undefined = undefined;
  uri: string | undefined = undefined;
  protocol: string | undefined = undefined;
  /** The raw request line when the log has one (nginx `$request`, error-log `request:`). */
  request: string | undefined = undefined;
  host: string | undefined = undefined;
  serverName: string | undefined = undefined;
  status: number | undefined = undefined;
  bytesSent: number | undefined = undefined;
  bytesRead: number | undefined = undefined;
  clientAddr: string | undefined = undefined;
  clientPort: number | undefined = undefined;
  forwardedFor: string | undefined = undefined;
  userAgent: string | undefined = undefined;
  referer: string | undefined = undefined;
  user: string | undefined = undefined;
  /** The Upgrade header the client sent ("websocket" for a WS handshake). */
  upgrade: string | undefined = undefined;
  upstreams: UpstreamAttempt[] | undefined = undefined;

  // Error lines.
  message: string | undefined = undefined;
  /** A classified cause from the error catalog (parsers/errorKinds.ts). */
  errorKind: string | undefined = undefined;
  errno: number | undefined = undefined;
  /** nginx `while ...` phase. */
  action: string | undefined = undefined;
  upstreamUrl: string | undefined = undefined;
  errorId: string | undefined = undefined;

  // Gateway.
  subsystem: string | undefined = undefined;
  event: GatewayEvent | undefined = undefined;
  lifecycle: Lifecycle | undefined = undefined;
  /** Gateway WebSocket connection id (a uuid, or `abcd1234…ef12` as abbreviated on RPC lines). */
  conn: string | undefined = undefined;
  closeCode: number | undefined = undefined;
  closeReason: string | undefined = undefined;
  cause: string | undefined = undefined;
  rpcMethod: string | undefined = undefined;
  rpcOk: boolean | undefined = undefined;
  rpcId: string | undefined = undefined;
  localAddr: string | undefined = undefined;
  hostname: string | undefined = undefined;

  /** Everything the log carried that has no field above, under its own name. */
  fields: Record<string, FieldValue> | undefined = undefined;
  /** The line had bytes that are not UTF-8; they were replaced by U+FFFD. */
  invalidUtf8: boolean | undefined = undefined;

  // Provenance, set by the reader.
  file: string | undefined = undefined;
  offset: number | undefined = undefined;
  lineNo: number | undefined = undefined;

  constructor(source: SourceKind, time: number) {
    this.source = source;
    this.time = time;
  }

  setField(name: string, value: FieldValue): void {
    (this.fields ??= {})[name] = value;
  }
}

export type ParseErrorReason =
  | 'empty'
  | 'line-too-long'
  | 'not-json'
  | 'not-an-object'
  | 'bad-field'
  | 'missing-field'
  | 'truncated'
  | 'format-mismatch'
  | 'bad-time'
  | 'time-out-of-range'
  | 'unknown-source';

/** A line that could not be read; never thrown, returned in place of a record. */
export class ParseError {
  constructor(
    readonly reason: ParseErrorReason,
    readonly detail: string,
  ) {}
}

export type ParseResult = LogRecord | ParseError;

/** A parser: one line of text in, a record or an error out. Pure, never throws. */
export type LineParser = (line: string) => ParseResult;

// 2000-01-01 .. 2100-01-01: anything outside is a broken clock or a misread field.
const MIN_TIME = 946_684_800_000;
const MAX_TIME = 4_102_444_800_000;

export function checkTime(ms: number, what: string): ParseError | undefined {
  if (!Number.isFinite(ms)) return new ParseError('bad-time', `${what} is not a time`);
  if (ms < MIN_TIME || ms > MAX_TIME) {
    return new ParseError('time-out-of-range', `${what} (${ms} ms since the epoch) is outside the years 2000..2100`);
  }
  return undefined;
}

/** Parse a non-negative decimal integer; `undefined` for `-`, empty or junk. */
export function toInt(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s === '-') return undefined;
  // Digits only (nearly every value): read by hand, exact up to 15 digits; Number() costs ~4x.
  if (s.length <= 15) {
    let n = 0;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i === s.length) return n;
  }
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Longer than this is not a request's duration but a broken field. */
export const MAX_DURATION_MS = 366 * 24 * 3600 * 1000;

/** A duration in ms if it is one: finite, not negative, at most MAX_DURATION_MS. */
export function saneDuration(ms: number): number | undefined {
  return ms >= 0 && ms <= MAX_DURATION_MS ? ms : undefined; // NaN fails both comparisons
}

/** Seconds as written by nginx ("0.123") or Caddy (float) to milliseconds; undefined for `-`. */
export function secondsToMs(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s === '-') return undefined;
  return saneDuration(Math.round(Number(s) * 1e6) / 1e3);
}

/** Lines longer than this are refused by every parser (the reader may cut earlier). */
export const DEFAULT_MAX_LINE_CHARS = 256 * 1024;
