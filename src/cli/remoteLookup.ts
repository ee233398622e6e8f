/**
 * Lookups across regions: `claw-trace <id> --agent URL --agent URL` asks each regional agent's API
 * in parallel (with a timeout) and says which agents did not answer (the merge of their answers:
 * src/correlate/merge.ts). The token comes from $CLAW_TRACE_TOKEN.
 */
import { type TraceJson, TraceJsonSchema } from '../correlate/traceSchema.js';
import { boundedJson, checker } from '../util/schema.js';

const checkTrace = checker(TraceJsonSchema);
/** An answer larger than this is refused (a trace with thousands of lines is a few MB). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** An agent's answer: its trace, or why there is none (`refused`: it answered, but not a trace). */
export interface AgentAnswer {
  agent: string;
  trace?: TraceJson;
  error?: string;
  refused?: boolean;
}

export async function askAgents(
  agents: string[],
  id: string,
  timeoutMs: number,
  token = process.env.CLAW_TRACE_TOKEN,
  maxBytes = MAX_ANSWER_BYTES,
): Promise<AgentAnswer[]> {
  return Promise.all(
    agents.map(async (agent): Promise<AgentAnswer> => {
      try {
        const res = await fetch(`${agent.replace(/\/+$/, '')}/v1/requests/${encodeURIComponent(id)}`, {
          signal: AbortSignal.timeout(timeoutMs),
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        if (res.status === 404) return { agent };
        if (!res.ok) return { agent, error: `HTTP ${res.status}` };
        const body = await boundedJson(res, maxBytes).catch((e: Error) => e);
        if (body instanceof Error) return { agent, error: body.message, refused: true };
        const checked = checkTrace(body);
        return checked.ok
          ? { agent, trace: checked.value }
          : { agent, error: `the answer is not claw-trace's trace JSON: ${checked.why}`, refused: true };
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        return {
          agent,
          error:
            err.name === 'TimeoutError'
              ? `no answer within ${timeoutMs} ms`
              : (err.cause?.code ?? err.cause?.message ?? err.message),
        };
      }
    }),
  );
}
