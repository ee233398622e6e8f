/**
 * `claw-trace <id> --otlp-backend URL`: for fleets that export everything, the trace from the
 * tracing backend instead of the agents. The trace ID is the request ID's (deterministic, see
 * correlate/trace.ts), so no index is needed: `GET <URL>/api/traces/<trace id>` on Jaeger's query
 * API or Tempo's; correlate/backendTrace.ts checks the answer and makes it a trace.
 */
import { spansFromBackend, traceFromBackend } from '../correlate/backendTrace.js';
import { traceIdFor } from '../correlate/trace.js';
import { boundedJson } from '../util/schema.js';
import { MAX_ANSWER_BYTES } from './remoteLookup.js';
/** A trace of thousands of spans is a few MB: more is refused. */
export async function fetchFromBackend(url, requestId, timeoutMs) {
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/traces/${traceIdFor(requestId)}`, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
    });
    if (res.status === 404)
        return undefined;
    if (!res.ok)
        throw new Error(`${url} answered HTTP ${res.status}`);
    const spans = spansFromBackend(await boundedJson(res, MAX_ANSWER_BYTES));
    return spans.length ? traceFromBackend(requestId, spans) : undefined;
}
//# sourceMappingURL=backendLookup.js.map