/**
 * `GET /v1/requests/:id`'s work: one request's trace JSON, as `claw-trace <id> --json` prints it,
 * and the schema that serializes it. The API imports this module at the route's first request:
 * an agent nobody asks never loads the correlation, the diagnosis and TypeBox (~230 modules,
 * ~2 MB of V8's old space; test/agentLoading.test.ts).
 */
import { findTrace } from '../correlate/assemble.js';
import { traceJson } from '../correlate/traceJson.js';
import type { TraceJson } from '../correlate/traceSchema.js';
import { diagnose } from '../diagnose/diagnose.js';
import type { RecordIndex } from '../store/recordIndex.js';

export { TraceJsonSchema } from '../correlate/traceSchema.js';

export type Lookup = { trace: TraceJson } | { ambiguous: string[] } | { missing: true };

/** The trace of the request with this ID (or the only one whose ID starts with it). */
export function lookUpRequest(index: RecordIndex, id: string): Lookup {
  const r = findTrace(index, id);
  return 'trace' in r ? { trace: traceJson(r.trace, diagnose(r.trace, index)) } : r;
}
