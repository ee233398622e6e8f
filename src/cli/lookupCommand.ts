/**
 * `claw-trace <request-id>`: one request across proxies, gateway and regions, as a waterfall
 * with timings, then the cause with the lines that prove it and the fix (traceText.ts). `--json`
 * for scripts. Exit codes: 0 found, 1 not found, 2 usage or configuration error.
 */
import { findTrace } from '../correlate/assemble.js';
import type { Trace } from '../correlate/trace.js';
import { traceJson } from '../correlate/traceJson.js';
import { type Diagnosis, diagnose } from '../diagnose/diagnose.js';
import type { RecordIndex } from '../store/recordIndex.js';
import { terminalSafe, terminalSafeJson } from '../util/terminalText.js';
import type { TextOut } from './syncStdout.js';

export interface LookupOptions {
  json?: boolean;
  color?: boolean;
  /** Columns to fit the waterfall to (default: unbounded, nothing cut). */
  width?: number;
}

/** The waterfall as terminal text, and its colours (the module loaded on first use). */
async function asText(trace: Trace, d: Diagnosis, o: LookupOptions): Promise<string> {
  const { renderTrace } = await import('./traceText.js');
  return renderTrace(trace, d, await textColors(o), o.width);
}
const textColors = async (o: LookupOptions) => (await import('./traceText.js')).colorsFor(o.color);

export async function runLookup(
  index: RecordIndex,
  idOrPrefix: string,
  opts: LookupOptions,
  stdout: TextOut,
  stderr: TextOut,
): Promise<number> {
  if (idOrPrefix.length === 0) {
    stderr.write('claw-trace: the request ID is empty\n');
    return 2;
  }
  const resolved = findTrace(index, idOrPrefix);
  if ('ambiguous' in resolved) {
    stderr.write(
      `claw-trace: ${resolved.ambiguous.length}${resolved.ambiguous.length === 10 ? '+' : ''} request IDs start with ${terminalSafe(idOrPrefix, 80)}: ${resolved.ambiguous.map((i) => terminalSafe(i, 60)).join(', ')}; give more of it\n`,
    );
    return 2;
  }
  if ('missing' in resolved) {
    stderr.write(
      `claw-trace: no request ${terminalSafe(idOrPrefix, 80)} in the index${opts.json ? '' : ' (is its access log indexed? claw-trace ingest / follow)'}\n`,
    );
    return 1;
  }
  const d = diagnose(resolved.trace, index);
  stdout.write(
    opts.json ? `${terminalSafeJson(traceJson(resolved.trace, d))}\n` : await asText(resolved.trace, d, opts),
  );
  return 0;
}

/** `claw-trace <id> --agent URL...`: the regional agents' answers merged into one waterfall. */
export async function runRemoteLookup(
  id: string,
  agents: string[],
  timeoutMs: number,
  opts: LookupOptions,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const { askAgents } = await import('./remoteLookup.js');
  const { mergeTraces } = await import('../correlate/merge.js');
  const answers = await askAgents(agents, id, timeoutMs);
  for (const a of answers) {
    if (a.error !== undefined)
      stderr.write(
        `claw-trace: agent ${terminalSafe(a.agent, 120)} ${a.refused ? 'answered, and its answer is left out' : 'did not answer'}: ${terminalSafe(a.error, 200)}\n`,
      );
  }
  const found = answers.flatMap((a) => (a.trace ? [a.trace] : []));
  if (found.length === 0) {
    stderr.write(`claw-trace: no agent that answered knows request ${terminalSafe(id, 80)}\n`);
    return 1;
  }
  const { trace, diagnosis } = mergeTraces(found);
  stdout.write(
    opts.json
      ? `${terminalSafeJson({
          ...traceJson(trace, diagnosis),
          agents: answers.map((a) => ({ agent: a.agent, found: Boolean(a.trace), error: a.error })),
        })}\n`
      : (await asText(trace, diagnosis, opts)) +
          `${(await textColors(opts)).dim(
            `answered: ${
              answers
                .filter((a) => !a.error)
                .map((a) => a.agent)
                .join(', ') || 'none'
            }`,
          )}\n`,
  );
  return 0;
}

/** `claw-trace <id> --otlp-backend URL`: the trace as exported, from Jaeger's or Tempo's query API. */
export async function runBackendLookup(
  id: string,
  url: string,
  timeoutMs: number,
  opts: LookupOptions,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const { fetchFromBackend } = await import('./backendLookup.js');
  let found: Awaited<ReturnType<typeof fetchFromBackend>>;
  try {
    found = await fetchFromBackend(url, id, timeoutMs);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    stderr.write(
      `claw-trace: ${terminalSafe(url, 120)} did not answer: ${terminalSafe(err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message), 200)}\n`,
    );
    return 1;
  }
  if (!found) {
    stderr.write(`claw-trace: ${terminalSafe(url, 120)} has no trace for request ${terminalSafe(id, 80)}\n`);
    return 1;
  }
  stdout.write(
    opts.json
      ? `${terminalSafeJson(traceJson(found.trace, found.diagnosis))}\n`
      : await asText(found.trace, found.diagnosis, opts),
  );
  return 0;
}
