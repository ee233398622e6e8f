/**
 * nginx access logs in any `log_format`: the directive text is compiled once into a parser that
 * walks a line by the format's literal separators (no regex per line), decodes nginx's escaping
 * and maps each variable through the table in nginxVariables.ts.
 */

import { readJsonLine } from './jsonLine.js';
import {
  INDEXED_TARGETS,
  type LineState,
  NGINX_VARIABLES,
  type TimeParsers,
  UPSTREAM_COLUMNS,
  upstreamAttempts,
  type VariableSpec,
} from './nginxVariables.js';
import {
  checkTime,
  DEFAULT_MAX_LINE_CHARS,
  type LineParser,
  LogRecord,
  ParseError,
  type ParseResult,
} from './record.js';
import { makeIsoParser, makeTimeLocalParser } from './time.js';
import { UserError } from './userError.js';

export type NginxEscape = 'default' | 'json' | 'none';

export interface LogFormat {
  name: string;
  escape: NginxEscape;
  /** The format string with the directive's quoted parts joined. */
  format: string;
}

export class LogFormatError extends UserError {
  override name = 'LogFormatError';
}

/**
 * Reads `log_format NAME [escape=default|json|none] 'part' "part" ...;` as written in nginx.conf
 * (several quoted parts, any line breaks), or a bare format string.
 */
export function parseLogFormatDirective(text: string): LogFormat {
  const t = text.trim();
  if (!/^log_format\s/.test(t)) {
    if (t.length === 0) throw new LogFormatError('the log format is empty');
    return { name: 'custom', escape: 'default', format: t };
  }
  const tokens: string[] = [];
  let i = 'log_format'.length;
  while (i < t.length) {
    const c = t[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === ';') {
      i++;
      break;
    }
    if (c === '#') {
      while (i < t.length && t[i] !== '\n') i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < t.length && t[j] !== c; j++) {
        if (t[j] === '\\' && j + 1 < t.length) {
          const n = t[++j]!;
          s += n === 't' ? '\t' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === c || n === '\\' ? n : `\\${n}`;
        } else {
          s += t[j];
        }
      }
      if (j >= t.length) throw new LogFormatError(`unterminated ${c} quote in log_format`);
      tokens.push(s);
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < t.length && !/[\s;]/.test(t[j]!)) j++;
    tokens.push(t.slice(i, j));
    i = j;
  }
  const name = tokens.shift();
  if (!name) throw new LogFormatError('log_format has no name');
  let escapeMode: NginxEscape = 'default';
  if (tokens[0]?.startsWith('escape=')) {
    const e = tokens.shift()!.slice('escape='.length);
    if (e !== 'default' && e !== 'json' && e !== 'none') {
      throw new LogFormatError(`log_format ${name}: escape=${e} is not one of default, json, none`);
    }
    escapeMode = e;
  }
  if (tokens.length === 0) throw new LogFormatError(`log_format ${name} has no format string`);
  return { name, escape: escapeMode, format: tokens.join('') };
}

interface Template {
  prefix: string;
  vars: string[];
  /** literals[i] follows vars[i]. */
  literals: string[];
}

function splitTemplate(format: string): Template {
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  const vars: string[] = [];
  const literals: string[] = [];
  let prefix: string | undefined;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format)) !== null) {
    const lit = format.slice(last, m.index);
    if (prefix === undefined) prefix = lit;
    else literals.push(lit);
    vars.push((m[1] ?? m[2])!);
    last = re.lastIndex;
  }
  if (vars.length === 0) throw new LogFormatError('the log format has no $variables');
  literals.push(format.slice(last));
  for (let i = 0; i < vars.length - 1; i++) {
    if (literals[i] === '') {
      throw new LogFormatError(
        `$${vars[i]} and $${vars[i + 1]} have nothing between them: the line cannot be split there`,
      );
    }
  }
  return { prefix: prefix ?? '', vars, literals };
}

const HEX_ESCAPE = /\\x([0-9A-Fa-f]{2})/g;

/** nginx default escaping: `"`, `\`, bytes < 32 and > 126 as `\xXX`; the bytes are UTF-8 text. */
export function decodeDefaultEscape(v: string): string {
  if (v.indexOf('\\x') === -1) return v;
  const latin1 = v.replace(HEX_ESCAPE, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  // Only bytes decoded from escapes can be > 0x7f here, so the latin1 view is the byte string.
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** nginx escape=json: `\"`, `\\`, `\n`, `\u00XX`. */
export function decodeJsonEscape(v: string): string {
  if (v.indexOf('\\') === -1) return v;
  try {
    return JSON.parse(`"${v}"`) as string;
  } catch {
    return v;
  }
}

export interface NginxAccessOptions {
  maxLineChars?: number;
  /**
   * Read only the values the index stores (INDEXED_TARGETS); the other fields stay unset. The
   * same lines fail, for the same reasons: the whole line is still split and checked.
   */
  indexOnly?: boolean;
  /** Every line through the walker, none through the regex splitter (tests compare the two). */
  walkOnly?: boolean;
}

interface Slot {
  name: string;
  spec: VariableSpec | undefined;
}

function timeParsers(): TimeParsers {
  return { local: makeTimeLocalParser(), iso: makeIsoParser() };
}

/** Finishes a record from the per-line state: time, start, upstream attempts. */
function finish(rec: LogRecord, st: LineState, hasUpstream: boolean): ParseResult {
  const bad = checkTime(st.timeMs, 'the request time');
  if (bad) return bad;
  rec.time = st.timeMs;
  if (rec.durationMs !== undefined) rec.start = Math.round((st.timeMs - rec.durationMs) * 1000) / 1000;
  if (hasUpstream) rec.upstreams = upstreamAttempts(st.upstream);
  return rec;
}

const TIME_VARIABLES = ['msec', 'time_iso8601', 'time_local'];

/**
 * Slots that fill the same target, best first; groups in ascending order of their best prio so
 * that a more specific target (`$request_uri`) is applied after a broader one (`$request`).
 * A variable logged twice, or one without a spec, is a group of its own.
 */
function groupSlots(slots: Slot[]): number[][] {
  const byTarget = new Map<string, number[]>();
  slots.forEach((s, i) => {
    const key = s.spec ? s.spec.target : `field:${s.name}:${i}`;
    const g = byTarget.get(key) ?? [];
    if (s.spec && g.some((j) => slots[j]!.name === s.name)) byTarget.set(`${key}:${i}`, [i]);
    else byTarget.set(key, [...g, i]);
  });
  const prio = (i: number) => slots[i]!.spec?.prio ?? 0;
  const groups = [...byTarget.values()].map((g) => g.sort((a, b) => prio(b) - prio(a)));
  return groups.sort((a, b) => prio(a[0]!) - prio(b[0]!));
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const CLASS_SPECIAL = /[\\\]^-]/;

/** What the splitter needs to know of a variable: the walker's two exceptions to "the next separator". */
export interface SplitSlot {
  /** An upstream list: the walker looks past a separator that follows `,` or precedes ` : `. */
  multi: boolean;
  /** The walker skips this many separators that start with a space (`$time_local`, `$request`). */
  spaces: number | undefined;
}

/**
 * One regex that splits a line where the walker below makes an `indexOf` per variable (claw_json:
 * 35, ~60% of the line's parse; `combined`: 8): irregexp's native code checks the whole line in one
 * call and captures only the values in `captured`. Each value is a run without the first character
 * of the separator after it (nginx writes `"` inside a value as `\"` or `\x22`, so quoted values
 * qualify). Where it matches, it splits exactly where the walker would: the separator cannot start
 * inside a value that lacks its first character, so its first occurrence is where the value ends;
 * an upstream value may not end with `,` (the walker would look past it there). Any line it does
 * not match (not ours, cut short, a value holding that character) goes through the walker: same
 * records, same errors. undefined for a format where a variable's value is allowed that character
 * (the walker's `spaces` and ` : ` rules on a separator that starts with a space).
 */
export function splitterRegex(
  tpl: { prefix: string; literals: readonly string[] },
  slots: readonly SplitSlot[],
  captured: readonly boolean[],
): { re: RegExp; group: Int32Array } | undefined {
  const { prefix, literals } = tpl;
  const esc = (s: string) => s.replace(REGEX_SPECIAL, '\\$&');
  const group = new Int32Array(literals.length).fill(-1);
  let src = `^${esc(prefix)}`;
  let n = 0;
  for (let i = 0; i < literals.length; i++) {
    const lit = literals[i]!;
    const last = i === literals.length - 1;
    const { multi, spaces } = slots[i]!;
    let value: string;
    if (lit === '') {
      value = '[\\s\\S]*'; // only the last separator can be empty: the value runs to the end
    } else {
      const c = CLASS_SPECIAL.test(lit[0]!) ? `\\${lit[0]}` : lit[0]!;
      if (!last && lit[0] === ' ' && (spaces !== undefined || multi)) return undefined;
      const before = i === 0 ? prefix : literals[i - 1]!;
      value = !multi || last ? `[^${c}]*` : before.endsWith(',') ? `[^${c}]*[^${c},]` : `(?:[^${c}]*[^${c},])?`;
    }
    if (captured[i]) group[i] = ++n;
    src += `${captured[i] ? `(${value})` : value}${esc(lit)}`;
  }
  return { re: new RegExp(`${src}$`), group };
}

/** Compiles a log_format (directive text or bare format string) into a line parser. */
export function compileNginxLogFormat(
  formatOrDirective: string | LogFormat,
  opts: NginxAccessOptions = {},
): LineParser {
  const lf = typeof formatOrDirective === 'string' ? parseLogFormatDirective(formatOrDirective) : formatOrDirective;
  const tpl = splitTemplate(lf.format);
  if (!tpl.vars.some((v) => TIME_VARIABLES.includes(v))) {
    throw new LogFormatError(`log_format ${lf.name} logs no time ($msec, $time_iso8601 or $time_local): add $msec`);
  }
  const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const decode =
    lf.escape === 'json' ? decodeJsonEscape : lf.escape === 'default' ? decodeDefaultEscape : (v: string) => v;
  const slots: Slot[] = tpl.vars.map((name) => ({ name, spec: NGINX_VARIABLES[name] }));
  // The intake stores the raw line and a few columns; lookups parse the stored line in full. At
  // ingest, slicing, unescaping and converting the values nobody reads was ~half the parse.
  const groups = opts.indexOnly
    ? groupSlots(slots).filter((g) => INDEXED_TARGETS.has(slots[g[0]!]!.spec?.target ?? ''))
    : groupSlots(slots);
  const hasUpstream = !opts.indexOnly && tpl.vars.some((v) => (UPSTREAM_COLUMNS as readonly string[]).includes(v));
  const { prefix, literals } = tpl;
  const n = slots.length;
  const parsers = timeParsers();
  // Where each value lies in the line; only the value that wins its target is ever sliced.
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const emptyIsMissing = lf.escape === 'json';
  // Per-line scratch, reused: upstreamAttempts copies what it needs out of it.
  const st: LineState = { timeMs: NaN, upstream: new Array<string | undefined>(UPSTREAM_COLUMNS.length) };
  const statusSlot = tpl.vars.indexOf('status');
  const read = new Array<boolean>(n).fill(false);
  for (const g of groups) for (const i of g) read[i] = true;
  if (statusSlot >= 0) read[statusSlot] = true;
  const splitter = opts.walkOnly
    ? undefined
    : splitterRegex(
        tpl,
        slots.map((s) => ({ multi: s.spec?.multi === true, spaces: s.spec?.spaces })),
        read,
      );
  const applySlot = (rec: LogRecord, i: number, raw: string) => {
    const v = decode(raw);
    const spec = slots[i]!.spec;
    if (spec) spec.apply(rec, v, st, parsers);
    else rec.setField(slots[i]!.name, v);
  };
  const badStatus = (value: string) =>
    new ParseError('bad-field', `$status is not a number: ${JSON.stringify(value.slice(0, 40))}`);

  /** The line as split by `splitter`: `m[group[i]]` is the value of variable i. */
  const fromMatch = (m: RegExpExecArray, group: Int32Array): ParseResult => {
    const rec = new LogRecord('nginx-access', NaN);
    st.timeMs = NaN;
    if (hasUpstream) st.upstream.fill(undefined);
    for (let g = 0; g < groups.length; g++) {
      const members = groups[g]!;
      for (let k = 0; k < members.length; k++) {
        const i = members[k]!;
        const v = m[group[i]!]!;
        if ((v.length === 1 && v.charCodeAt(0) === 45) || (v.length === 0 && emptyIsMissing)) continue;
        applySlot(rec, i, v);
        break;
      }
    }
    if (rec.status === undefined && statusSlot >= 0) return badStatus(m[group[statusSlot]!]!);
    return finish(rec, st, hasUpstream);
  };

  return (line: string): ParseResult => {
    if (line.length === 0) return new ParseError('empty', 'empty line');
    if (line.length > maxLen)
      return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
    if (!line.startsWith(prefix))
      return new ParseError(
        'format-mismatch',
        `line does not start with ${JSON.stringify(prefix)} (log_format ${lf.name})`,
      );
    if (splitter !== undefined) {
      let m: RegExpExecArray | null = null;
      try {
        m = splitter.re.exec(line);
      } catch {
        // Out of regex stack on some hostile line: the walker reads it.
      }
      if (m !== null) return fromMatch(m, splitter.group);
    }
    let pos = prefix.length;
    for (let i = 0; i < n; i++) {
      const lit = literals[i]!;
      let end: number;
      if (i === n - 1) {
        end = line.length - lit.length;
        if (end < pos || !line.endsWith(lit)) {
          return new ParseError('truncated', `line ends before $${slots[i]!.name} is closed by ${JSON.stringify(lit)}`);
        }
      } else {
        end = line.indexOf(lit, pos);
        const spec = slots[i]!.spec;
        if (spec !== undefined && end > 0) {
          if (spec.multi) {
            // `a, b` and `a : b` inside one upstream value are not the separator that follows it.
            while (end > 0 && (line.charCodeAt(end - 1) === 44 /* , */ || line.startsWith(' : ', end))) {
              end = line.indexOf(lit, line.startsWith(' : ', end) ? end + 3 : end + 1);
            }
          } else if (spec.spaces !== undefined && lit[0] === ' ') {
            for (let k = 0; k < spec.spaces && end >= 0; k++) end = line.indexOf(lit, end + 1);
          }
        }
        if (end < 0) {
          // Nothing matched past the first value: another format. Some matched: cut short.
          return i === 0
            ? new ParseError(
                'format-mismatch',
                `no ${JSON.stringify(lit)} after $${slots[i]!.name}: not log_format ${lf.name}`,
              )
            : new ParseError(
                'truncated',
                `no ${JSON.stringify(lit)} after $${slots[i]!.name}: the line is cut short (log_format ${lf.name})`,
              );
        }
      }
      starts[i] = pos;
      ends[i] = end;
      pos = end + lit.length;
    }
    const rec = new LogRecord('nginx-access', NaN);
    st.timeMs = NaN;
    if (hasUpstream) st.upstream.fill(undefined);
    for (let g = 0; g < groups.length; g++) {
      const members = groups[g]!;
      for (let k = 0; k < members.length; k++) {
        const i = members[k]!;
        const from = starts[i]!;
        const len = ends[i]! - from;
        // `-` (or "" with escape=json) is nginx's "not set": try the next-best variable for this target.
        if ((len === 1 && line.charCodeAt(from) === 45) || (len === 0 && emptyIsMissing)) continue;
        applySlot(rec, i, line.slice(from, from + len));
        break;
      }
    }
    if (rec.status === undefined && statusSlot >= 0)
      return badStatus(line.slice(starts[statusSlot]!, Math.min(ends[statusSlot]!, starts[statusSlot]! + 40)));
    return finish(rec, st, hasUpstream);
  };
}

/**
 * Keys commonly used for nginx variables in JSON log formats. A JSON access line with another
 * layout than a configured one is read through this map (and any key that is itself a variable
 * name); other keys are kept in `fields`.
 */
const JSON_KEY_ALIASES: Record<string, string> = {
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
export function makeNginxJsonParser(opts: NginxAccessOptions = {}): LineParser {
  const maxLen = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const parsers = timeParsers();
  return (line) => {
    const obj = readJsonLine(line, maxLen);
    if (obj instanceof ParseError) return obj;
    const rec = new LogRecord('nginx-access', NaN);
    const st: LineState = { timeMs: NaN, upstream: new Array(UPSTREAM_COLUMNS.length) };
    const entries: [VariableSpec | undefined, string, string][] = [];
    for (const [key, value] of Object.entries(obj)) {
      if (value === null || value === '' || value === '-') continue;
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
    const seen = new Set<string>();
    const chosen = entries.filter(([spec]) => !spec || (!seen.has(spec.target) && seen.add(spec.target)));
    chosen.reverse();
    for (const [spec, key, v] of chosen) {
      if (spec) spec.apply(rec, v, st, parsers);
      else rec.setField(key, v);
    }
    if (Number.isNaN(st.timeMs))
      return new ParseError('missing-field', 'no time field (msec, ts, time_iso8601, time_local)');
    return finish(rec, st, true);
  };
}

/** Formats nginx ships or that we recommend; `--format nginx-<name>` selects one. */
export const BUILTIN_LOG_FORMATS: Record<string, string> = {
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
