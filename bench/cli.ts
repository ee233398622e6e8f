/** The claw-trace command as the benchmarks start it: as installed, with the Node flags (and environment) of its #! line. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/src/cli/main.js');

const SHEBANG = readFileSync(CLI, 'utf8').split('\n', 1)[0]!;
/** Node's flags from the command's `#!/usr/bin/env -S [NAME=value ...] node ...` line. */
export const NODE_FLAGS: readonly string[] =
  /\bnode\b(.*)$/.exec(SHEBANG)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];

/** The environment the #! line sets (`NAME=value` before `node`), over this process's. */
export const CLI_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  ...Object.fromEntries(
    (/-S\s+(.*?)\bnode\b/.exec(SHEBANG)?.[1] ?? '')
      .split(/\s+/)
      .filter((w) => w.includes('='))
      .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
  ),
};

/** process.execPath's arguments for `claw-trace ...args`: the #! line's flags, then BENCH_NODE_ARGS. */
export function cliArgs(...args: string[]): string[] {
  return [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, ...args];
}
