/**
 * The command line of a plain local lookup, read without the option parser: `claw-trace <id>`
 * with only --db, --json and --width (any order, `--db=F` too). A script that asks for one
 * request after another pays node's start and the lookup, not commander and every command's
 * option declarations (issue 14: the whole process in <= 150 ms). Anything else, and anything
 * these options would reject, is left to the full parser (program.ts), which also says what is wrong.
 */
import { defaultIndexPath } from '../config/paths.js';
import { endQuietlyOnClosedPipe, exitOnUserError } from './errors.js';
import { runLocalLookup } from './localLookup.js';

/**
 * program.ts's command names and aliases, and `help`: a lone word that is one of them is a
 * command, not a request ID (test/startCost.test.ts checks the list against the program).
 */
export const COMMAND_NAMES: readonly string[] = [
  'lookup',
  '5xx',
  'failures',
  'parse',
  'ingest',
  'agent',
  'follow',
  'prune',
  'doctor',
  'probe',
  'demo',
  'formats',
  'help',
];

export interface QuickLookup {
  id: string;
  db: string;
  json?: boolean;
  width?: number;
}

/** The lookup `args` (process.argv without node and the script) asks for, or undefined: not one to answer here. */
export function quickLookupArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): QuickLookup | undefined {
  if (args.includes('--')) return undefined;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch {
    return undefined; // an option of another kind of lookup, --help, a missing value...: commander's to read
  }
  const { values, positionals } = parsed;
  const id = positionals[0];
  if (positionals.length !== 1 || id === undefined || id.startsWith('-') || COMMAND_NAMES.includes(id))
    return undefined;
  let width: number | undefined;
  if (values.width !== undefined) {
    // The rule of program.ts's --width; a width it would refuse goes there to be refused.
    width = Number(values.width);
    if (!Number.isInteger(width) || width < 40) return undefined;
  }
  return { id, db: values.db ?? defaultIndexPath(env), json: values.json, width };
}

// Not `import ... from 'node:util'`: that reads every export, and node:util's lazy ones (TextDecoder
// and the rest) cost ~6 ms on Node 24 to describe.
const { parseArgs } = process.getBuiltinModule('node:util');

const parse = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    options: { db: { type: 'string' }, json: { type: 'boolean' }, width: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });

/**
 * Answers `args` when they ask for a plain local lookup (true), else leaves them to program.ts (false).
 * `npm run build` bundles this module with all a lookup loads (build/bundleLookup.ts).
 */
export async function runQuickLookup(args: readonly string[]): Promise<boolean> {
  const quick = quickLookupArgs(args);
  if (!quick) return false;
  if (!quick.json) endQuietlyOnClosedPipe(); // --json writes without the stream (syncStdout.ts)
  try {
    await runLocalLookup(quick.id, quick);
  } catch (e) {
    exitOnUserError(e);
  }
  return true;
}
