/**
 * V8's flags for the agent's process, set at run time as early as the command line is known to
 * be `claw-trace agent` (main.ts; again in runAgent, for a command line where `agent` is not the
 * first word). V8's flags are the process's: the agent's query, export and checkpoint threads
 * have them too; `ingest`, lookups and the other commands keep V8's defaults.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates straight into the old generation from a code
 * site whose objects it saw survive a young collection. In the agent that is a bet on timing: a
 * young collection that lands while a batch is in flight marks the sites that allocate the batch's
 * objects long-lived, and from then on every batch is garbage in the old generation (~7 MB/s at
 * 5,000 lines/s), which grows to 55-65 MB between full collections. bench:agent: RSS 144-157 MB in
 * about half the runs (5 full collections in 25 s), 112-116 in the others; with it off 113-123 in
 * every run, 1 full collection (at the start) and CPU the same or lower. Node 20 and 24.
 *
 * `--no-turbofan` (Node >= 22): V8's top tier off where its mid tier, Maglev (on by default since
 * Node 22), stands in. Set before the command's own start-up has run long enough for anything to
 * reach TurboFan, the `node` binary's pages of TurboFan's code are never touched: Node 24 at
 * 5,000 lines/s (bench:agent, 240-600 s): RSS 100-104 MB against 112-116 for the build without
 * it in the same minutes (file-backed resident pages, the binary's mostly, 48 MB against 53;
 * glibc's main arena 16-19 against 22-24); set in runAgent only, after the start-up: 106 against
 * 113. CPU 4.0-5.0% against 3.6-3.7% of a core; a backlog read on the agent's thread (a restart
 * after downtime) takes 5-27% longer. Node 20 has no Maglev (the flag would leave the interpreter
 * and Sparkplug) and is under its target without it. A tier flag given to node (`--max-opt`, `--turbofan`, `--maglev`,
 * `--always-turbofan`, `--turbo-filter`; with or without `no`, one dash or two, dashes or
 * underscores) is left to stand.
 */
const { setFlagsFromString } = process.getBuiltinModule('node:v8');

export const PRETENURING_OFF = '--no-allocation-site-pretenuring';
export const TOP_TIER_OFF = '--no-turbofan';

/** The flags the agent sets on this Node, given node's own flags (`process.execArgv`). */
export function agentV8Flags(nodeMajor: number, execArgv: readonly string[]): string[] {
  const flags = [PRETENURING_OFF];
  const ownTier = execArgv.some((a) =>
    /^--?(no[-_]?)?(max[-_]opt|turbofan|maglev|always[-_]turbofan|turbo[-_]filter)(=|$)/.test(a),
  );
  if (nodeMajor >= 22 && !ownTier) flags.push(TOP_TIER_OFF);
  return flags;
}

/** Sets the agent's V8 flags in this process (again: no harm). */
export function setAgentV8Flags(): void {
  for (const f of agentV8Flags(Number(process.versions.node.split('.')[0]), process.execArgv)) setFlagsFromString(f);
}
