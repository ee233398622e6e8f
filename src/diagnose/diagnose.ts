/** Runs the catalog over a trace: the causes proven, or "unknown" with what was missing. */
import type { RecordIndex } from '../store/recordIndex.js';
import { rehydrate, type IndexedRecord } from '../store/rehydrate.js';
import type { Trace } from '../correlate/trace.js';
import { CAUSES } from './catalog.js';
import { factsOf, type Facts } from './facts.js';

export interface Diagnosis {
  failed: boolean;
  status: number | undefined;
  causes: { id: string; title: string; confidence: number; detail: string; evidence: IndexedRecord[]; fix: string }[];
  /** When no cause is proven: what evidence was not there. */
  missing: string[];
}

/** Overload alerts name no request: look for them in the same proxy's error log around the request. */
function withNearby(index: RecordIndex | undefined, f: Facts): Facts {
  if (!index || f.duration === undefined) return f;
  const rows = index.window(f.start - 5000, f.start + f.duration + 5000, ['nginx-error']);
  f.nearby = rehydrate(rows).filter((e) => e.errorKind === 'worker-connections' || e.errorKind === 'too-many-open-files');
  return f;
}

export function diagnose(trace: Trace, index?: RecordIndex): Diagnosis {
  const f = withNearby(index, factsOf(trace));
  const d: Diagnosis = { failed: f.failed, status: f.status, causes: [], missing: [] };
  if (!f.failed) return d;
  const superseded = new Set<string>();
  for (const c of CAUSES) {
    if (superseded.has(c.id)) continue; // a more specific cause already explains it
    const found = c.test(f);
    if (!found) continue;
    d.causes.push({ id: c.id, title: c.title, confidence: found.confidence, detail: found.detail, evidence: found.evidence, fix: c.fix });
    for (const s of c.supersedes ?? []) superseded.add(s);
  }
  if (d.causes.length === 0) {
    if (f.errorRecords.length === 0) d.missing.push('no proxy error line joined this request (is the error log indexed, at level info?)');
    if (!trace.spans.some((s) => s.service === 'openclaw-gateway')) d.missing.push('no gateway line joined this request (is the gateway log indexed?)');
    if (f.access.length === 0) d.missing.push('no access line carries this request ID');
  }
  return d;
}
