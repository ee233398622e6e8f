#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --v8-pool-size=1
/**
 * claw-trace command line. Exit codes: 0 done, 1 nothing found/read, 2 usage or configuration error.
 * A plain local lookup, the command scripts run most, is answered first and alone (quickLookup.ts,
 * bundled by the build: quickEntry.ts); every other command line goes to the option parser and the
 * commands (program.ts), loaded only then.
 */
import { quickEntry } from './quickEntry.js';

// The agent's V8 flags before anything else runs (src/agent/v8Flags.ts): TurboFan never starts.
if (process.argv[2] === 'agent') (await import('../agent/v8Flags.js')).setAgentV8Flags();

const { runQuickLookup } = (await import(quickEntry())) as typeof import('./quickLookup.js');
if (!(await runQuickLookup(process.argv.slice(2)))) await (await import('./program.js')).runProgram(process.argv);
