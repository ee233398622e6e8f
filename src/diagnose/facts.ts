/** What a diagnosis looks at, read once from a trace. */
import type { UpstreamAttempt } from '../../parsers/index.js';
import type { IndexedRecord } from '../store/rehydrate.js';
import type { ContextLine, Trace } from '../correlate/trace.js';

export interface Facts {
  /** The outermost hop's status (what the client got). */
  status: number | undefined;
  start: number;
  duration: number | undefined;
  access: IndexedRecord[];
  attempts: UpstreamAttempt[];
  /** Error lines joined to the request (tiers 2 and 3). */
  errorRecords: IndexedRecord[];
  /** Error lines of the same proxy near the request that name no request (overload alerts). */
  nearby: IndexedRecord[];
  context: ContextLine[];
  upgradeRequested: boolean;
  /** An earlier attempt failed and a later one answered < 500. */
  succeededAfter: boolean;
  gatewayClosedAbnormally: boolean;
  failed: boolean;
  errors(...kinds: string[]): IndexedRecord[];
}

/**
 * What counts as a failure: a 5xx; an upgrade that did not get its 101; a 101 the proxy cut or
 * that ended abnormally; a 200 whose body was cut; a 499 or status 0 (the client gave up); a 403
 * from the gateway.
 */
export function factsOf(trace: Trace): Facts {
  const hops = trace.spans.filter((s) => s.kind === 'SERVER' && s.service !== 'openclaw-gateway');
  const outer = hops.find((h) => !hops.some((o) => o.spanId === h.parentSpanId)) ?? hops[0];
  const access = hops.map((h) => h.record!).filter(Boolean);
  const attempts = access.flatMap((a) => a.upstreams ?? []);
  const errorRecords = trace.spans.flatMap((s) => s.events.map((e) => e.record));
  const gateway = trace.spans.filter((s) => s.service === 'openclaw-gateway' && s.kind === 'SERVER');
  const status = outer?.status;
  const upgradeRequested = access.some((a) => a.upgrade?.toLowerCase() === 'websocket');
  const gatewayClosedAbnormally = gateway.some((g) => g.error);
  const firstBad = attempts.findIndex((a) => a.status === undefined || a.status >= 500);
  const succeededAfter = firstBad >= 0 && attempts.slice(firstBad + 1).some((a) => a.status !== undefined && a.status < 500);
  const bodyCut = errorRecords.some((e) => e.errorKind === 'upstream-body-timeout' || e.errorKind === 'upstream-incomplete-response' || e.errorKind === 'upstream-premature-close');
  // A 403 is a failure when the gateway answered it (its proxy checks), not when the proxy's own rules did.
  const gateway403 = status === 403 && attempts.some((a) => a.status === 403);
  const failed = (status ?? 0) >= 500 || status === 499 || gateway403 || (status === 0 && !upgradeRequested)
    || (upgradeRequested && status !== 101 && status !== 0)
    || errorRecords.some((e) => e.errorKind === 'ws-idle-timeout') || gatewayClosedAbnormally || bodyCut;
  return {
    status,
    start: outer?.start ?? 0,
    duration: outer ? outer.end - outer.start : undefined,
    access,
    attempts,
    errorRecords,
    nearby: [],
    context: trace.context,
    upgradeRequested,
    succeededAfter,
    gatewayClosedAbnormally,
    failed,
    errors: (...kinds) => errorRecords.filter((e) => e.errorKind !== undefined && kinds.includes(e.errorKind)),
  };
}
