import { outputWidth } from './outputWidth.js';
import { stdoutSync } from './syncStdout.js';
import { withIndex } from './withIndex.js';

/**
 * `claw-trace <id>` answered from the local index: the exit code is the lookup's (0 found, 1 not,
 * 2 usage). `--json` is for scripts: no colours, no width, and stdout written without its stream.
 */
export async function runLocalLookup(id: string, o: { db: string; json?: boolean; width?: number }): Promise<void> {
  const tty = !o.json;
  const color = tty && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const width = tty ? outputWidth(process.stdout, o.width) : Number.POSITIVE_INFINITY;
  const { runLookup } = await import('./lookupCommand.js');
  process.exitCode = await withIndex(
    o.db,
    (index) =>
      runLookup(index, id, { json: o.json, color, width }, o.json ? stdoutSync : process.stdout, process.stderr),
    { existing: true },
  );
}
