/**
 * The joined view of one request: spans per proxy hop, upstream attempt, gateway connection and
 * RPC; error lines as events; gateway context. Every join says which tier made it and how sure
 * it is (tiers 1 and 2 are certain; tier 3 is inferred and never shown as certain).
 */
import { createHash } from 'node:crypto';
import type { IndexedRecord } from '../store/rehydrate.js';

export type JoinTier = 1 | 2 | 3 | 4;

export interface Join {
  tier: JoinTier;
  /** What matched: "request id", "*connection + request line", "local address + user agent + time"... */
  how: string;
  /** 1 for tiers 1 and 2; below 1 for inferred joins. */
  confidence: number;
}

export type SpanKind = 'SERVER' | 'CLIENT' | 'INTERNAL';
export type Service = 'nginx' | 'caddy' | 'openclaw-gateway';

export interface SpanEvent {
  time: number;
  name: string;
  record: IndexedRecord;
  join: Join;
}

export interface Span {
  spanId: string;
  parentSpanId?: string;
  kind: SpanKind;
  service: Service;
  name: string;
  start: number;
  end: number;
  status?: number;
  error: boolean;
  region?: string;
  /** The line the span stands for (an access line, a gateway line), when there is one. */
  record?: IndexedRecord;
  join: Join;
  events: SpanEvent[];
  /** Upstream attempts: connect / header / response times, ms from the attempt's start. */
  phases?: { connectMs?: number; headerMs?: number; responseMs?: number };
  attrs: Record<string, string | number | boolean>;
}

export interface ContextLine {
  record: IndexedRecord;
  join: Join;
  what: string;
}

/** A host's clock against the hop around it, estimated from a joined pair of hops. */
export interface ClockSkew {
  region: string;
  relativeTo: string;
  /** How far ahead the inner host's clock was, ms. */
  ms: number;
  /** Applied to the inner hop's spans (only within the cap). */
  corrected: boolean;
}

export interface Trace {
  traceId: string;
  requestId: string;
  spans: Span[];
  skews: ClockSkew[];
  /** Tier 4: gateway lifecycle and trusted-proxy warnings around the request. */
  context: ContextLine[];
}

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The request ID when it is 32 hex; a UUID without hyphens; otherwise a stable hash of it. */
export function traceIdFor(requestId: string): string {
  if (HEX32.test(requestId)) return requestId.toLowerCase();
  if (UUID.test(requestId)) return requestId.replace(/-/g, '').toLowerCase();
  return createHash('sha256').update(requestId).digest('hex').slice(0, 32);
}

/** Stable per line (trace, source, file, offset), so exporting twice gives the same span. */
export function spanIdFor(traceId: string, ...parts: (string | number | undefined)[]): string {
  return createHash('sha256')
    .update([traceId, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

export function serviceOf(r: IndexedRecord): Service {
  return r.source.startsWith('nginx') ? 'nginx' : r.source.startsWith('caddy') ? 'caddy' : 'openclaw-gateway';
}
