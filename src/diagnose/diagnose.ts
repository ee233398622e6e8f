/**
 * Runs the catalog over a trace. A cause is claimed only when the failure's shape fits it; claims
 * decided by lines joined to the request come before those decided by inferred joins, which come
 * before shape-with-context; the confidence printed is the precision the labelled corpus measured
 * for that cause, so decided (calibration.ts). Nothing fits: "unknown", with what was missing.
 */
import type { RecordIndex } from '../store/recordIndex.js';
import { rehydrate, type IndexedRecord } from '../store/rehydrate.js';
import type { Trace } from '../correlate/trace.js';
import { BASIS_RANK, CAUSES, fits, fromErrors, type Basis, type Cause, type Finding } from './catalog.js';
import { CALIBRATION, UNMEASURED_CAP } from './calibration.js';
import { factsOf, type Crash, type Facts } from './facts.js';

export interface DiagnosedCause {
  id: string;
  title: string;
  confidence: number;
  /** What decided the claim: lines joined to the request, an inferred join, or the shape with context. */
  basis: Basis;
  /** How often the corpus found this claim right (absent: not measured; the confidence is then capped). */
  measured?: { claimed: number; right: number };
  detail: string;
  evidence: IndexedRecord[];
  fix: string;
}

export interface Diagnosis {
  failed: boolean;
  status: number | undefined;
  causes: DiagnosedCause[];
  /** When no cause is proven: what evidence was not there, and what was seen around it. */
  missing: string[];
}

const sameRegion = (a: IndexedRecord, region: string | undefined) => (a.region ?? '') === (region ?? '');
const STARTING = new Set(['starting', 'http-starting']);

/**
 * Overload alerts name no request: found around it in the error logs of its own region, or of a
 * region the request has no line in (the next hop, out of connections, never logged it).
 */
function nearby(index: RecordIndex, f: Facts, trace: Trace): IndexedRecord[] {
  if (f.duration === undefined) return [];
  const regions = new Set(trace.spans.map((s) => s.region ?? ''));
  return rehydrate(index.window(f.start - 5000, f.end + 5000, ['nginx-error', 'caddy-runtime']))
    .filter((e) => (e.errorKind === 'worker-connections' || e.errorKind === 'too-many-open-files') && (sameRegion(e, f.region) || !regions.has(e.region ?? '')));
}

/**
 * A gateway crash around the request: a start that no clean shutdown preceded, after the gateway
 * had been running (a line of its own in the two minutes before), and the request failed while it
 * was gone (refused, cut) or was a WebSocket the gateway never closed itself.
 */
function crashAround(index: RecordIndex, f: Facts): Crash | undefined {
  const cutSession = f.switched && f.gateway === undefined;
  if (!cutSession && f.errors('upstream-refused', 'upstream-reset', 'upstream-premature-close', 'upstream-incomplete-response').length === 0) return undefined;
  const life = f.context.filter((c) => c.record.event === 'lifecycle' && c.record.lifecycle !== 'config').map((c) => c.record);
  const before = life.filter((r) => r.time <= f.end);
  let start: IndexedRecord | undefined;
  if (before.length && STARTING.has(before.at(-1)!.lifecycle ?? '')) {
    // Still starting at the request: the start is the first of that run of start lines.
    let i = before.length - 1;
    while (i > 0 && STARTING.has(before[i - 1]!.lifecycle ?? '')) i--;
    start = before[i];
  } else {
    start = life.find((r) => r.time > f.end && (STARTING.has(r.lifecycle ?? '') || r.lifecycle === 'listening'));
  }
  if (!start) return undefined;
  const up = life.filter((r) => r.time < start.time && (r.lifecycle === 'listening' || r.lifecycle === 'ready')).at(-1);
  if (life.some((r) => r.lifecycle === 'shutdown' && r.time <= start.time && (!up || r.time >= up.time))) return undefined; // a clean stop
  const ran = rehydrate(index.window(start.time - 120_000, start.time - 1, ['openclaw']))
    .filter((g) => sameRegion(g, f.region) && !(g.event === 'lifecycle' && g.lifecycle !== 'listening' && g.lifecycle !== 'ready'));
  const lastSeen = ran.at(-1);
  if (!lastSeen || lastSeen.time > f.end + 1000) return undefined; // it was alive after the request: not killed under it
  const sessionsCut = cutSession ? rehydrate(index.upgradesBetween(f.end - 1000, f.end + 1000)).filter((r) => sameRegion(r, f.region)).length : 0;
  return { start, lastSeen, sessionsCut, cutSession };
}

function confidenceOf(c: Cause, basis: Basis, first: boolean): Pick<DiagnosedCause, 'confidence' | 'measured'> {
  const cell = CALIBRATION[c.id]?.[first ? basis : `${basis}:secondary`];
  if (cell && cell.claimed > 0) return { confidence: Math.round(((cell.right + 1) / (cell.claimed + 2)) * 100) / 100, measured: cell };
  return { confidence: Math.min(c.prior, UNMEASURED_CAP) };
}

export function diagnose(trace: Trace, index?: RecordIndex): Diagnosis {
  const f = factsOf(trace);
  if (index) {
    f.nearby = nearby(index, f, trace);
    f.crash = crashAround(index, f);
    if (f.crash?.cutSession) f.failed = true;
    // A WebSocket closed by a proxy reload (the gateway's own close line, if any, was not a normal 1000).
    if (f.switched && f.closeCode !== 1000 && f.context.some((c) => c.record.errorKind === 'proxy-reload' && Math.abs(c.record.time - f.end) <= 2000)) f.failed = true;
  }
  const d: Diagnosis = { failed: f.failed, status: f.status, causes: [], missing: [] };
  if (!f.failed) return d;
  const found: { c: Cause; finding: Finding; order: number }[] = [];
  CAUSES.forEach((c, order) => {
    if (!c.fit.some((fit) => fits(fit, f))) return;
    const finding = c.test ? c.test(f) : fromErrors(f, c.kinds ?? []);
    if (finding) found.push({ c, finding, order });
  });
  // Joined evidence decides; inferred joins only where nothing joined says otherwise; then the catalog's order.
  found.sort((a, b) => BASIS_RANK[a.finding.basis] - BASIS_RANK[b.finding.basis] || a.order - b.order);
  const superseded = new Set<string>();
  for (const { c, finding } of found) {
    if (superseded.has(c.id)) continue; // a more specific cause already explains it
    d.causes.push({ id: c.id, title: c.title, ...confidenceOf(c, finding.basis, d.causes.length === 0), basis: finding.basis, detail: finding.detail, evidence: finding.evidence, fix: c.fix });
    for (const s of c.supersedes ?? []) superseded.add(s);
  }
  if (d.causes.length === 0) {
    if (f.errorRecords.length === 0) d.missing.push('no proxy error line joined this request (is the error log indexed, at level info?)');
    if (!trace.spans.some((s) => s.service === 'openclaw-gateway')) d.missing.push('no gateway line joined this request (is the gateway log indexed?)');
    if (f.access.length === 0) d.missing.push('no access line carries this request ID');
    if (f.errorRecords.length > 0) d.missing.push(`the error lines joined (${[...new Set(f.errorRecords.map((e) => e.errorKind))].join(', ')}) do not fit a ${f.innerStatus ?? f.status}${f.answeredBy ? ` answered by the ${f.answeredBy === 'upstream' ? 'gateway' : 'proxy'}` : ''}`);
    if (f.nearby.length > 0) d.missing.push(`around it (context, not proof): ${f.nearby.length} overload alert(s) of the proxy (${f.nearby[0]!.errorKind})`);
  }
  return d;
}
