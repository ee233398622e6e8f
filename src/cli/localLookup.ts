import { outputWidth } from './outputWidth.js';
import { withIndex } from './withIndex.js';

/** `claw-trace <id>` answered from the local index: the exit code is the lookup's (0 found, 1 not, 2 usage). */
export async function runLocalLookup(id: string, o: { db: string; json?: boolean; width?: number }): Promise<void> {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const width = outputWidth(process.stdout, o.width);
  const { runLookup } = await import('./lookupCommand.js');
  process.exitCode = await withIndex(
    o.db,
    (index) => runLookup(index, id, { json: o.json, color, width }, process.stdout, process.stderr),
    { existing: true },
  );
}
