/**
 * nginx variables and where their values go in a LogRecord. Data, read by the log_format
 * compiler: a variable not listed here is kept under `record.fields[name]`.
 *
 * `target`: what the variable fills. When a format logs several variables for one target, only
 * the highest `prio` one present is read (`$msec` over `$time_iso8601` over `$time_local`,
 * `$req_id` over `$request_id`); targets are applied in order of prio, so `$request_uri`
 * overwrites the URI taken from the request line.
 */
import { type LogRecord, secondsToMs, toInt } from './record.js';
import { msecToMs } from './time.js';

/** Per-line scratch space a variable can write to (times and upstream columns are combined at the end). */
export interface LineState {
  timeMs: number;
  upstream: (string | undefined)[];
}

export const UPSTREAM_COLUMNS = [
  'upstream_addr',
  'upstream_status',
  'upstream_connect_time',
  'upstream_header_time',
  'upstream_response_time',
  'upstream_bytes_received',
  'upstream_bytes_sent',
] as const;

export interface VariableSpec {
  target: string;
  prio: number;
  /** The value may contain `, ` and ` : ` separators (upstream lists). */
  multi?: boolean;
  /** How many spaces a well-formed value contains (`$time_local` has one). */
  spaces?: number;
  apply(rec: LogRecord, value: string, st: LineState, parsers: TimeParsers): void;
}

export interface TimeParsers {
  local(s: string): number;
  iso(s: string): number;
}

type StrField =
  | 'clientAddr'
  | 'user'
  | 'forwardedFor'
  | 'userAgent'
  | 'referer'
  | 'upgrade'
  | 'host'
  | 'serverName'
  | 'method'
  | 'uri'
  | 'protocol'
  | 'requestId'
  | 'inboundRequestId';
type IntField = 'clientPort' | 'status' | 'bytesSent' | 'bytesRead' | 'connection' | 'pid';

// One setter per field, written out: a shared `rec[field] = v` would be one megamorphic store
// for every field of every line.
const STR_SETTERS: Record<StrField, (rec: LogRecord, v: string) => void> = {
  clientAddr: (r, v) => {
    r.clientAddr = v;
  },
  user: (r, v) => {
    r.user = v;
  },
  forwardedFor: (r, v) => {
    r.forwardedFor = v;
  },
  userAgent: (r, v) => {
    r.userAgent = v;
  },
  referer: (r, v) => {
    r.referer = v;
  },
  upgrade: (r, v) => {
    r.upgrade = v;
  },
  host: (r, v) => {
    r.host = v;
  },
  serverName: (r, v) => {
    r.serverName = v;
  },
  method: (r, v) => {
    r.method = v;
  },
  uri: (r, v) => {
    r.uri = v;
  },
  protocol: (r, v) => {
    r.protocol = v;
  },
  requestId: (r, v) => {
    r.requestId = v;
  },
  inboundRequestId: (r, v) => {
    r.inboundRequestId = v;
  },
};
const INT_SETTERS: Record<IntField, (rec: LogRecord, v: string) => void> = {
  clientPort: (r, v) => {
    r.clientPort = toInt(v);
  },
  status: (r, v) => {
    r.status = toInt(v);
  },
  bytesSent: (r, v) => {
    r.bytesSent = toInt(v);
  },
  bytesRead: (r, v) => {
    r.bytesRead = toInt(v);
  },
  connection: (r, v) => {
    r.connection = toInt(v);
  },
  pid: (r, v) => {
    r.pid = toInt(v);
  },
};

function str(field: StrField, prio = 0): VariableSpec {
  return { target: field, prio, apply: STR_SETTERS[field] };
}

function int(field: IntField, prio = 0): VariableSpec {
  return { target: field, prio, apply: INT_SETTERS[field] };
}

function upstreamColumn(i: number): VariableSpec {
  return {
    target: UPSTREAM_COLUMNS[i]!,
    prio: 0,
    multi: true,
    apply: (_rec, v, st) => {
      st.upstream[i] = v;
    },
  };
}

/** `GET /path?q HTTP/1.1` into method, uri, protocol; the raw line is kept as is. */
export function applyRequestLine(rec: LogRecord, v: string): void {
  rec.request = v;
  const a = v.indexOf(' ');
  const b = v.lastIndexOf(' ');
  if (a > 0 && b > a) {
    rec.method = v.slice(0, a);
    rec.uri = v.slice(a + 1, b);
    rec.protocol = v.slice(b + 1);
  } else if (a > 0) {
    rec.method = v.slice(0, a); // HTTP/0.9 style "GET /"
    rec.uri = v.slice(a + 1);
  }
}

/** A W3C traceparent header: version-traceid-spanid-flags. */
export const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Variables a config may use for the ID it propagates (the `map $http_x_request_id $req_id` idiom). */
export const PROPAGATED_ID_VARIABLES = ['req_id', 'reqid', 'request_id_out', 'x_request_id', 'correlation_id'];

export const NGINX_VARIABLES: Record<string, VariableSpec> = {
  remote_addr: str('clientAddr'),
  remote_port: int('clientPort'),
  remote_user: str('user'),
  time_local: {
    target: 'time',
    prio: 0,
    spaces: 1,
    apply: (_r, v, st, p) => {
      st.timeMs = p.local(v);
    },
  },
  time_iso8601: {
    target: 'time',
    prio: 1,
    apply: (_r, v, st, p) => {
      st.timeMs = p.iso(v);
    },
  },
  msec: {
    target: 'time',
    prio: 2,
    apply: (_r, v, st) => {
      st.timeMs = msecToMs(v);
    },
  },
  request: { target: 'request', prio: 1, spaces: 2, apply: applyRequestLine },
  request_method: str('method', 2),
  uri: str('uri', 0),
  request_uri: str('uri', 2),
  server_protocol: str('protocol', 2),
  status: int('status'),
  body_bytes_sent: int('bytesSent'),
  request_length: int('bytesRead'),
  request_time: {
    target: 'durationMs',
    prio: 0,
    apply: (rec, v) => {
      rec.durationMs = secondsToMs(v);
    },
  },
  http_referer: str('referer'),
  http_user_agent: str('userAgent'),
  http_x_forwarded_for: str('forwardedFor'),
  http_upgrade: str('upgrade'),
  http_host: str('host', 0),
  host: str('host', 1),
  server_name: str('serverName'),
  connection: int('connection'),
  pid: int('pid'),
  request_id: str('requestId', 0),
  http_x_request_id: str('inboundRequestId'),
  http_traceparent: {
    target: 'trace',
    prio: 0,
    apply: (rec, v) => {
      const m = TRACEPARENT.exec(v);
      if (m) {
        rec.traceId = m[1];
        rec.spanId = m[2];
      }
    },
  },
  ...Object.fromEntries(UPSTREAM_COLUMNS.map((name, i) => [name, upstreamColumn(i)])),
  ...Object.fromEntries(PROPAGATED_ID_VARIABLES.map((name) => [name, str('requestId', 1)])),
};

/**
 * The targets that fill what the index stores of an access line (time, request and trace ID,
 * connection, status, upgrade: store/recordIndex.ts's columns): all an `indexOnly` parser reads.
 */
export const INDEXED_TARGETS: ReadonlySet<string> = new Set([
  'time',
  'requestId',
  'trace',
  'connection',
  'status',
  'upgrade',
]);

/**
 * nginx's upstream columns (one value per server tried, `, ` between servers, ` : ` between
 * internal redirects, `-` for a phase that never happened) into one attempt per server.
 */
export function upstreamAttempts(cols: readonly (string | undefined)[]): UpstreamAttemptList | undefined {
  const addr = cols[0];
  if (addr === undefined || addr === '-' || addr === '') return undefined;
  // Almost every request tries one server: no lists to split.
  if (addr.indexOf(', ') < 0 && addr.indexOf(' : ') < 0) {
    return [
      {
        addr,
        status: toInt(cols[1]),
        connectMs: secondsToMs(cols[2]),
        headerMs: secondsToMs(cols[3]),
        responseMs: secondsToMs(cols[4]),
        bytesReceived: toInt(cols[5]),
        bytesSent: toInt(cols[6]),
        redirect: 0,
      },
    ];
  }
  const split = cols.map((c) => (c === undefined ? undefined : c.split(' : ').map((g) => g.split(', '))));
  const attempts: UpstreamAttemptList = [];
  const groups = split[0]!;
  for (let g = 0; g < groups.length; g++) {
    const servers = groups[g]!;
    for (let s = 0; s < servers.length; s++) {
      const at = (i: number) => split[i]?.[g]?.[s];
      attempts.push({
        addr: servers[s]!,
        status: toInt(at(1)),
        connectMs: secondsToMs(at(2)),
        headerMs: secondsToMs(at(3)),
        responseMs: secondsToMs(at(4)),
        bytesReceived: toInt(at(5)),
        bytesSent: toInt(at(6)),
        redirect: g,
      });
    }
  }
  return attempts;
}

type UpstreamAttemptList = NonNullable<LogRecord['upstreams']>;
