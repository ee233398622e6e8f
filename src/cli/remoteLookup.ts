/**
 * Lookups across regions: `claw-trace <id> --agent URL --agent URL` asks each regional agent's API
 * in parallel (with a timeout) and says which agents did not answer (the merge of their answers:
 * src/correlate/merge.ts). The token comes from $CLAW_TRACE_TOKEN.
 */
import type { TraceJson } from '../correlate/traceJson.js';

export interface AgentAnswer { agent: string; trace?: TraceJson; error?: string }

export async function askAgents(agents: string[], id: string, timeoutMs: number, token = process.env.CLAW_TRACE_TOKEN): Promise<AgentAnswer[]> {
  return Promise.all(agents.map(async (agent): Promise<AgentAnswer> => {
    try {
      const res = await fetch(`${agent.replace(/\/+$/, '')}/v1/requests/${encodeURIComponent(id)}`, {
        signal: AbortSignal.timeout(timeoutMs), headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      if (res.status === 404) return { agent };
      if (!res.ok) return { agent, error: `HTTP ${res.status}` };
      return { agent, trace: (await res.json()) as TraceJson };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      return { agent, error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message };
    }
  }));
}

