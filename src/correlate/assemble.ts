/**
 * One request's trace from the index, assembled when it is asked for (late and out-of-order lines
 * are simply there the next time). Joins, strongest first:
 * 1. the request ID: every proxy hop that logged it (one ID across proxies and regions);
 * 2. structure: nginx error lines by `*connection` = `$connection`, request line and time;
 *    Caddy error/debug lines by client port, URI and time;
 * 3. inference: the gateway's WebSocket lines by address, user agent, host and time, with a
 *    confidence, assigned over the window (one connection belongs to at most one upgrade
 *    request); RPC lines by their connection;
 * 4. context: gateway lifecycle, trusted-proxy warnings and proxy reloads around the request.
 * Every join stays inside the hop's region: another builder's lines are never evidence.
 * A request ID seen twice at the same proxy (a client's retry) gives sibling hops, never nested ones.
 */

import { asksForWebSocket, isAccessSource } from '../../parsers/record.js';
import type { RecordIndex, StoredRecord } from '../store/recordIndex.js';
import { type IndexedRecord, rehydrate } from '../store/rehydrate.js';
import {
  type ClockSkew,
  type ContextLine,
  type Join,
  type Span,
  serviceOf,
  spanIdFor,
  type Trace,
  traceIdFor,
} from './trace.js';

const SURE = (how: string, tier: 1 | 2): Join => ({ tier, how, confidence: 1 });
/** How far around a request other lines are looked for. */
const ERROR_SLACK_MS = 1500;
const GATEWAY_SLACK_MS = 2000;
const CONTEXT_BEFORE_MS = 120_000;
/** Lifecycle lines after a request (the gateway coming back after a crash takes seconds). */
const CONTEXT_AFTER_MS = 60_000;
/** Two gateway connections whose scores are this close are a coin toss, and said to be. */
const TIE_SCORE = 0.05;
const NEST_TOLERANCE_MS = 5;
/** Clock differences up to this are corrected; larger ones are only reported. */
export const SKEW_CAP_MS = 5000;

const pathOf = (uri: string | undefined) => (uri ?? '').split('?')[0];
/** Lines of another region are never joined (an index may hold several builders' files). */
export const inRegion = (a: IndexedRecord, region: string | undefined) => (a.region ?? '') === (region ?? '');
const sameRegion = (a: IndexedRecord, b: IndexedRecord) => inRegion(a, b.region);
/** The request asked for a WebSocket (Caddy 2.6 logs the 101 as status 0, so the header decides). */
export const isUpgrade = (r: IndexedRecord) => asksForWebSocket(r) || r.status === 101;
export const hostPort = (url: string | undefined) => (url ? /^[a-z]+:\/\/([^/]+)/i.exec(url)?.[1] : undefined);

function accessSpan(traceId: string, r: IndexedRecord, requestId: string): Span {
  // Caddy 2.6 logs a WebSocket with status 0: for an upgrade, 0 is not a failure by itself.
  const failed = (r.status ?? 0) >= 500 || (asksForWebSocket(r) && r.status !== 101 && r.status !== 0);
  return {
    spanId: spanIdFor(traceId, r.source, r.file, r.offset),
    kind: 'SERVER',
    service: serviceOf(r),
    name: `${r.method ?? ''} ${pathOf(r.uri)}`.trim(),
    start: r.start ?? r.time,
    end: r.time,
    status: r.status,
    error: failed,
    region: r.region,
    record: r,
    join: SURE(r.requestId === requestId ? 'request id' : 'trace id', 1),
    events: [],
    attrs: {},
  };
}

/** One CLIENT span per upstream attempt, laid end to end in the order nginx tried them. */
function attemptSpans(traceId: string, parent: Span): Span[] {
  const r = parent.record!;
  const spans: Span[] = [];
  let at = parent.start;
  (r.upstreams ?? []).forEach((u, i) => {
    const took = u.responseMs ?? 0;
    spans.push({
      spanId: spanIdFor(traceId, r.source, r.file, r.offset, 'attempt', i),
      parentSpanId: parent.spanId,
      kind: 'CLIENT',
      service: parent.service,
      name: `upstream ${u.addr}${u.redirect ? ` (redirect ${u.redirect})` : ''}`,
      start: at,
      end: at + took,
      status: u.status,
      error: u.status === undefined || u.status >= 500,
      region: parent.region,
      join: parent.join,
      events: [],
      phases: { connectMs: u.connectMs, headerMs: u.headerMs, responseMs: u.responseMs },
      attrs: { 'server.address': u.addr },
    });
    at += took;
  });
  return spans;
}

/** The attempt an error line is about (by the upstream address it names), else the hop. */
function eventTarget(hop: Span, attempts: Span[], e: IndexedRecord): Span {
  const hp = hostPort(e.upstreamUrl) ?? e.upstreams?.[0]?.addr;
  return (hp && attempts.find((a) => a.attrs['server.address'] === hp)) || hop;
}

/**
 * How far a line's time is from a hop's [start, end], ms (0 inside; nginx's error log writes whole
 * seconds, so the start is taken down to its second). Between siblings in the same second, an error
 * line is the failed one's: a hop the upstream answered is put a window further away.
 */
function distance(t: number, s: Span): number {
  const from = Math.floor(s.start / 1000) * 1000;
  const answered = !s.error && (s.status ?? 0) < 400;
  return (t < from ? from - t : t > s.end ? t - s.end : 0) + (answered ? ERROR_SLACK_MS : 0);
}

/**
 * `skew`: how far this hop's host clock is ahead; its own error lines are in that clock.
 * `siblings`: other hops of the same proxy with this request ID (a retry): a line nearer to one
 * of them is theirs.
 */
function structuralEvents(index: RecordIndex, hop: Span, attempts: Span[], siblings: Span[], skew = 0): void {
  const r = hop.record!;
  const mine = (e: IndexedRecord) =>
    sameRegion(e, r) && !siblings.some((o) => distance(e.time - skew, o) < distance(e.time - skew, hop));
  if (r.source === 'nginx-access') {
    if (r.connection === undefined) return;
    const lines = rehydrate(
      index.window(hop.start + skew - ERROR_SLACK_MS, hop.end + skew + ERROR_SLACK_MS, ['nginx-error']),
    );
    for (const e of lines) {
      if (e.connection !== r.connection || !mine(e)) continue;
      if (e.request !== undefined && r.request !== undefined && e.request !== r.request) continue;
      if (e.request === undefined && e.level !== 'alert' && e.level !== 'crit') continue;
      const target = eventTarget(hop, attempts, e);
      target.events.push({
        time: e.time,
        name: e.errorKind ?? e.level ?? 'error',
        record: e,
        join: SURE('*connection + request line + time', 2),
      });
    }
  } else {
    const lines = rehydrate(
      index.window(hop.start + skew - ERROR_SLACK_MS, hop.end + skew + ERROR_SLACK_MS, ['caddy-error', 'caddy-proxy']),
    );
    for (const e of lines) {
      if (
        e.errorKind === undefined ||
        !mine(e) ||
        [hop, ...attempts].some((s) => s.events.some((x) => x.record.rowId === e.rowId))
      )
        continue;
      let join: Join;
      if (e.uri !== undefined) {
        if (
          e.uri !== r.uri ||
          (e.clientPort !== undefined && r.clientPort !== undefined && e.clientPort !== r.clientPort)
        )
          continue;
        join = SURE('client port + URI + time', 2);
      } else if (e.time - skew >= hop.start && e.time - skew <= hop.end + 5) {
        // Caddy's body-cut lines name no request: the one in flight on this proxy at that moment.
        join = { tier: 3, how: 'time only (the line names no request)', confidence: 0.6 };
      } else {
        continue;
      }
      const target = eventTarget(hop, attempts, e);
      target.events.push({ time: e.time, name: e.errorKind, record: e, join });
    }
  }
}

interface Candidate {
  rec: IndexedRecord;
  score: number;
  how: string[];
}

/** How well a gateway connection line fits an upgrade request (tier 3), from 0.5 up; or nothing. */
function scoreGateway(r: IndexedRecord, g: IndexedRecord): Candidate | undefined {
  if ((g.event !== 'ws-disconnected' && g.event !== 'ws-closed-before-connect') || !sameRegion(g, r)) return undefined;
  const how: string[] = [];
  let score = 0;
  if (g.userAgent !== undefined && g.userAgent === r.userAgent) {
    score += 0.25;
    how.push('user agent');
  }
  const client = r.forwardedFor?.split(',')[0]?.trim() ?? r.clientAddr;
  if (
    g.forwardedFor !== undefined &&
    client !== undefined &&
    g.forwardedFor
      .split(',')
      .map((x) => x.trim())
      .includes(client)
  ) {
    score += 0.25;
    how.push('forwarded-for');
  }
  if (g.host !== undefined && r.host !== undefined && g.host === r.host) {
    score += 0.1;
    how.push('host');
  }
  if (g.localAddr !== undefined && r.upstreams?.some((u) => u.addr === g.localAddr)) {
    score += 0.2;
    how.push('gateway address');
  }
  // A WebSocket's proxy lifetime is the gateway connection's: both end within a second, and last as long.
  const took = r.time - (r.start ?? r.time);
  const sameSpan = g.durationMs !== undefined ? Math.abs(g.durationMs - took) <= Math.max(500, took * 0.2) : true;
  // Without that, the rest (agent, host, address) fits every session of the same client: no join.
  if (Math.abs(g.time - r.time) > 1000 || !sameSpan) return undefined;
  score += 0.3;
  how.push('open/close times');
  return score >= 0.5 ? { rec: g, score: Math.round(score * 100) / 100, how } : undefined;
}

/**
 * The gateway connection an upgrade request became: every upgrade request of the region (any of
 * its proxies) in the window competes for the gateway's connection lines, best pairs first, and
 * each connection goes to one request at most. When another pairing scores alike, `tie` says so.
 */
function assignGateway(
  index: RecordIndex,
  r: IndexedRecord,
  gw: IndexedRecord[],
): { best: Candidate; tie?: string } | undefined {
  if (!isUpgrade(r)) return undefined; // only an upgrade request can become a WebSocket connection
  const mine = gw.map((g) => scoreGateway(r, g)).filter((c): c is Candidate => c !== undefined);
  if (mine.length === 0) return undefined;
  const others = rehydrate(index.upgradesBetween(r.time - 2 * GATEWAY_SLACK_MS, r.time + 2 * GATEWAY_SLACK_MS)).filter(
    (o) => o.rowId !== r.rowId && sameRegion(o, r) && isAccessSource(o.source),
  );
  const pairs = [
    ...mine.map((c) => ({ req: r, c })),
    ...others.flatMap((o) =>
      gw
        .map((g) => scoreGateway(o, g))
        .filter((c): c is Candidate => c !== undefined)
        .map((c) => ({ req: o, c })),
    ),
  ];
  pairs.sort(
    (a, b) =>
      b.c.score - a.c.score ||
      Math.abs(a.c.rec.time - a.req.time) - Math.abs(b.c.rec.time - b.req.time) ||
      Number(a.c.rec.rowId) - Number(b.c.rec.rowId),
  );
  const takenReq = new Set<number | bigint>();
  const takenGw = new Set<number | bigint>();
  let best: Candidate | undefined;
  for (const { req, c } of pairs) {
    if (takenReq.has(req.rowId) || takenGw.has(c.rec.rowId)) continue;
    takenReq.add(req.rowId);
    takenGw.add(c.rec.rowId);
    if (req === r) {
      best = c;
      break;
    }
  }
  if (!best) return undefined; // every connection that fitted went to a request that fitted it better
  const b = best;
  const rivalConn = mine.some((c) => c !== b && Math.abs(c.score - b.score) <= TIE_SCORE);
  const rivalReq = pairs.some(
    (p) => p.req !== r && p.c.rec.rowId === b.rec.rowId && Math.abs(p.c.score - b.score) <= TIE_SCORE,
  );
  const tie = rivalConn
    ? 'another gateway connection scored alike'
    : rivalReq
      ? 'another request scored alike for this connection'
      : undefined;
  return { best, tie };
}

/** Tier 3: the gateway connection this request became, and its RPC lines. */
function gatewaySpans(index: RecordIndex, traceId: string, hop: Span, parent: Span, gw: IndexedRecord[]): Span[] {
  const found = assignGateway(index, hop.record!, gw);
  if (!found) return [];
  const best = found.best;
  // Two candidates alike: the join is a coin toss between them, and its confidence says so.
  const confidence = Math.min(0.95, best.score) * (found.tie ? 0.6 : 1);
  if (found.tie) best.how.push(`ambiguous: ${found.tie}`);
  const g = best.rec;
  const conn: Span = {
    spanId: spanIdFor(traceId, g.source, g.file, g.offset),
    parentSpanId: parent.spanId,
    kind: 'SERVER',
    service: 'openclaw-gateway',
    name: `WebSocket ${g.conn ?? ''}`.trim(),
    start: g.durationMs !== undefined ? g.time - g.durationMs : g.time,
    end: g.time,
    error: g.closeCode !== undefined && g.closeCode !== 1000 && g.closeCode !== 1001,
    region: hop.region,
    record: g,
    join: { tier: 3, how: best.how.join(' + '), confidence: Math.round(confidence * 100) / 100 },
    events: [],
    attrs: {
      ...(g.closeCode !== undefined ? { 'websocket.close_code': g.closeCode } : {}),
      ...(g.cause ? { 'openclaw.cause': g.cause } : {}),
    },
  };
  const spans = [conn];
  // RPC lines name their connection as `6f1c2a9b…41d2`.
  const short = g.conn && g.conn.length > 12 ? `${g.conn.slice(0, 8)}…${g.conn.slice(-4)}` : g.conn;
  for (const x of gw) {
    if (x.event !== 'rpc' || short === undefined || x.conn !== short) continue;
    spans.push({
      spanId: spanIdFor(traceId, x.source, x.file, x.offset),
      parentSpanId: conn.spanId,
      kind: 'INTERNAL',
      service: 'openclaw-gateway',
      name: `rpc ${x.rpcMethod ?? ''}`.trim(),
      start: x.time - (x.durationMs ?? 0),
      end: x.time,
      error: x.rpcOk === false,
      region: hop.region,
      record: x,
      join: { tier: 3, how: 'conn= of the joined connection', confidence: conn.join.confidence },
      events: [],
      attrs: {},
    });
  }
  return spans;
}

/** Tier 4: the gateway's lifecycle and trusted-proxy warnings, and the proxy's reloads, around the request. */
function contextLines(
  index: RecordIndex,
  gw: IndexedRecord[],
  regions: Set<string>,
  start: number,
  end: number,
): ContextLine[] {
  const out: ContextLine[] = [];
  const byTime: Join = { tier: 4, how: 'time', confidence: 1 };
  for (const g of gw) {
    if (!regions.has(g.region ?? '') || g.time < start - CONTEXT_BEFORE_MS) continue;
    if (g.event === 'lifecycle' && g.time <= end + CONTEXT_AFTER_MS)
      out.push({ record: g, join: byTime, what: `gateway ${g.lifecycle}` });
    else if (g.event === 'trusted-proxy' && g.time <= end + GATEWAY_SLACK_MS)
      out.push({ record: g, join: byTime, what: 'trusted-proxy warning' });
  }
  for (const p of rehydrate(
    index.window(start - GATEWAY_SLACK_MS, end + GATEWAY_SLACK_MS, ['nginx-error', 'caddy-runtime']),
  )) {
    if (p.errorKind === 'proxy-reload' && regions.has(p.region ?? ''))
      out.push({ record: p, join: byTime, what: `${serviceOf(p)} reload` });
  }
  return out.sort((a, b) => a.record.time - b.record.time);
}

export interface Resolved {
  requestId?: string;
  /** Several IDs start with the prefix given. */
  ambiguous?: string[];
}

/**
 * An exact request ID; or a trace ID (from Jaeger/Tempo): the UUID request ID it was made from,
 * or a W3C trace ID logged with the request; or the one request ID that starts with a prefix.
 */
export function resolveRequestId(index: RecordIndex, idOrPrefix: string): Resolved {
  return index.hasRequestId(idOrPrefix) ? { requestId: idOrPrefix } : resolveOtherwise(index, idOrPrefix);
}

/** resolveRequestId for a string that is no request ID itself: a trace ID's forms, or a prefix. */
function resolveOtherwise(index: RecordIndex, idOrPrefix: string): Resolved {
  if (/^[0-9a-f]{32}$/i.test(idOrPrefix)) {
    const h = idOrPrefix.toLowerCase();
    const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    if (index.hasRequestId(uuid)) return { requestId: uuid };
    const withTrace = index.byTraceId(h, 1)[0]?.request_id;
    if (withTrace) return { requestId: withTrace };
  }
  const ids = index.requestIdsWithPrefix(idOrPrefix, 10);
  if (ids.length === 1) return { requestId: ids[0] };
  if (ids.length > 1) return { ambiguous: ids };
  return {};
}

/**
 * What `claw-trace <id>` and `GET /v1/requests/:id` show: the trace of an exact request ID (its
 * lines read once, not probed first and read again: the common case), else of what
 * resolveRequestId makes of it.
 */
export function findTrace(
  index: RecordIndex,
  idOrPrefix: string,
): { trace: Trace } | { ambiguous: string[] } | { missing: true } {
  const own = index.byRequestId(idOrPrefix);
  const r: Resolved = own.length > 0 ? { requestId: idOrPrefix } : resolveOtherwise(index, idOrPrefix);
  if (r.ambiguous) return { ambiguous: r.ambiguous };
  const trace =
    r.requestId === undefined ? undefined : assembleTrace(index, r.requestId, own.length > 0 ? own : undefined);
  return trace ? { trace } : { missing: true };
}

/** `own`: the request's lines, read already (index.byRequestId). */
export function assembleTrace(
  index: RecordIndex,
  requestId: string,
  ownLines: StoredRecord[] = index.byRequestId(requestId),
): Trace | undefined {
  const own = rehydrate(ownLines);
  if (own.length === 0) return undefined;
  const traceId = traceIdFor(requestId);
  // Outermost first. Time alone cannot order hops of a fast request (nginx logs whole ms), so the
  // headers do: a hop that received the ID from its client, or more X-Forwarded-For entries, is
  // further in; then the longer hop is the outer one. Hence also the tolerance on containment.
  const depth = (r: IndexedRecord) =>
    (r.inboundRequestId === requestId ? 1 : 0) + (r.forwardedFor ? r.forwardedFor.split(',').length : 0);
  // A hop that wrote its status itself (its upstream never answered) is the one furthest in.
  const from = Math.min(...own.map((r) => r.start ?? r.time));
  const to = Math.max(...own.map((r) => r.time));
  const gw = rehydrate(index.window(from - CONTEXT_BEFORE_MS, to + CONTEXT_AFTER_MS, ['openclaw']));
  // Where the headers tie (an edge that sets no X-Forwarded-For), the hop that talked to the gateway
  // is further in: it proxies to an address the gateway listens on, or sits in a region that has a
  // gateway; and a hop that wrote its status itself (its upstream never answered) is furthest in.
  const gatewayAddrs = new Set(gw.map((g) => g.localAddr).filter((a): a is string => a !== undefined));
  const gatewayRegions = new Set(gw.map((g) => g.region ?? ''));
  const nearGateway = (r: IndexedRecord) =>
    (r.upstreams?.some((u) => gatewayAddrs.has(u.addr)) ? 2 : 0) + (gatewayRegions.has(r.region ?? '') ? 1 : 0);
  const madeStatus = (r: IndexedRecord) => {
    const a = r.upstreams?.at(-1);
    return a && a.headerMs === undefined && a.status !== 101 && (a.status ?? 500) >= 500 ? 1 : 0;
  };
  const hops = own
    .filter((r) => isAccessSource(r.source))
    .map((r) => accessSpan(traceId, r, requestId))
    .sort(
      (a, b) =>
        depth(a.record!) - depth(b.record!) ||
        madeStatus(a.record!) - madeStatus(b.record!) ||
        nearGateway(a.record!) - nearGateway(b.record!) ||
        b.end - b.start - (a.end - a.start) ||
        a.start - b.start,
    );
  const spans: Span[] = [];
  // The same proxy never nests inside itself: a second line of its own with this ID is a retry.
  const fileOf = (s: Span) => (s.kind === 'CLIENT' ? spans.find((x) => x.spanId === s.parentSpanId) : s)?.record?.file;
  const inside = (s: Span, hop: Span) =>
    fileOf(s) !== hop.record!.file && s.start <= hop.start + NEST_TOLERANCE_MS && s.end >= hop.end - NEST_TOLERANCE_MS;
  const skews: ClockSkew[] = [];
  for (const hop of hops) {
    let outer =
      [...spans].reverse().find((s) => s.kind === 'CLIENT' && inside(s, hop)) ??
      [...spans].reverse().find((s) => s.kind === 'SERVER' && inside(s, hop));
    const above = [...spans]
      .reverse()
      .find((s) => s.kind === 'SERVER' && s.record!.file !== hop.record!.file && depth(s.record!) < depth(hop.record!));
    if (!outer && above) {
      // The headers say this hop is inside `above`, the clocks disagree: the hosts' clocks differ.
      const parent = [...spans].reverse().find((s) => s.kind === 'CLIENT' && s.parentSpanId === above.spanId) ?? above;
      const ms = Math.round((hop.start + hop.end) / 2 - (parent.start + parent.end) / 2);
      const corrected = Math.abs(ms) <= SKEW_CAP_MS;
      skews.push({ region: hop.region ?? '-', relativeTo: above.region ?? '-', ms, corrected });
      if (corrected) {
        hop.start -= ms;
        hop.end -= ms;
        hop.attrs.clock_skew_corrected_ms = ms;
      }
      outer = parent;
    }
    if (outer) hop.parentSpanId = outer.spanId;
    spans.push(hop, ...attemptSpans(traceId, hop));
  }
  for (const hop of hops) {
    const attempts = spans.filter((s) => s.kind === 'CLIENT' && s.parentSpanId === hop.spanId);
    const siblings = hops.filter((o) => o !== hop && o.record!.file === hop.record!.file);
    // Caddy's reverse-proxy lines carry the ID it sent upstream: they belong to the hop whatever they say.
    for (const e of own) {
      if (e.source !== 'caddy-proxy' || hop.record!.source !== 'caddy-access' || !sameRegion(e, hop.record!)) continue;
      if (siblings.some((o) => distance(e.time, o) < distance(e.time, hop))) continue;
      eventTarget(hop, attempts, e).events.push({
        time: e.time,
        name: e.errorKind ?? e.message ?? 'upstream',
        record: e,
        join: SURE('request id', 1),
      });
    }
    structuralEvents(index, hop, attempts, siblings, Number(hop.attrs.clock_skew_corrected_ms ?? 0));
  }
  // The innermost hops (no other hop below them) are the ones that talked to the gateway.
  const hopAbove = (spanId: string | undefined) => {
    const s = spans.find((x) => x.spanId === spanId);
    return s?.kind === 'CLIENT' ? s.parentSpanId : s?.spanId;
  };
  const outerHops = new Set(hops.map((h) => hopAbove(h.parentSpanId)));
  const innermost = hops.filter((h) => !outerHops.has(h.spanId));
  for (const hop of innermost) {
    const parent = [...spans].reverse().find((s) => s.parentSpanId === hop.spanId && s.kind === 'CLIENT') ?? hop;
    const r = hop.record!;
    const near = gw.filter(
      (g) => g.time >= (r.start ?? r.time) - 2 * GATEWAY_SLACK_MS && g.time <= r.time + 2 * GATEWAY_SLACK_MS,
    );
    spans.push(...gatewaySpans(index, traceId, hop, parent, near));
  }
  // Gateway lines that carry the request ID themselves (newer builds with a trace context).
  for (const g of own.filter((r) => r.source === 'openclaw')) {
    const top = hops[hops.length - 1];
    spans.push({
      spanId: spanIdFor(traceId, g.source, g.file, g.offset),
      parentSpanId: top?.spanId,
      kind: 'INTERNAL',
      service: 'openclaw-gateway',
      name: g.event ?? 'log',
      start: g.time,
      end: g.time,
      error: g.level === 'error',
      region: g.region,
      record: g,
      join: SURE('request id', 1),
      events: [],
      attrs: {},
    });
  }
  const regions = new Set(innermost.map((h) => h.record!.region ?? ''));
  return { traceId, requestId, spans, skews, context: contextLines(index, gw, regions, from, to) };
}
