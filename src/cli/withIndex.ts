import { existsSync } from 'node:fs';
import type { RecordIndex } from '../store/recordIndex.js';
import { terminalSafe } from '../util/terminalText.js';
import { UsageError } from './errors.js';

/**
 * The index, opened for one command and closed after it. Commands that only read it (`existing`)
 * never create one: an empty index would answer "0 failed requests" for a mistyped --db.
 */
export async function withIndex<T>(
  file: string,
  f: (index: RecordIndex) => Promise<T> | T,
  o: { existing?: boolean } = {},
): Promise<T> {
  if (o.existing && !existsSync(file))
    throw new UsageError(
      `no index at ${terminalSafe(file, 300)}: run \`claw-trace ingest\` or the agent first (or give its path with --db)`,
    );
  const { RecordIndex } = await import('../store/recordIndex.js');
  const index = new RecordIndex(file);
  try {
    return await f(index);
  } finally {
    index.close();
  }
}
