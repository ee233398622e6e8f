/** The claw-trace command as the benchmarks start it: as installed, with the Node flags of its #! line. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/src/cli/main.js');
/** Node's flags from the command's `#!/usr/bin/env -S node ...` line. */
export const NODE_FLAGS = /\bnode\b(.*)$/.exec(readFileSync(CLI, 'utf8').split('\n', 1)[0])?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
/** process.execPath's arguments for `claw-trace ...args`: the #! line's flags, then BENCH_NODE_ARGS. */
export function cliArgs(...args) {
    return [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, ...args];
}
//# sourceMappingURL=cli.js.map