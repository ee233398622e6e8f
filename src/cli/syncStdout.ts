/**
 * Standard output written with writeSync, for output that scripts read (`--json`): process.stdout
 * is a stream, and making it loads node's net and stream code for a pipe (~4 ms CPU of a lookup on
 * Node 24). A reader that has gone ends the command quietly (EPIPE or ECONNRESET), as
 * endQuietlyOnClosedPipe does for the stream; a full pipe that another process left non-blocking (EAGAIN) gets the rest
 * through process.stdout, which waits for it.
 */

import { readerHasGone } from './errors.js';

// Not `import ... from 'node:fs'`: that runs node:fs's lazy getters (the file streams: ~2 ms).
const { writeSync } = process.getBuiltinModule('node:fs');

/** What the commands write their output to: process.stdout, or stdoutSync. */
export interface TextOut {
  write(text: string): unknown;
}

export const stdoutSync: TextOut = {
  write(text: string): boolean {
    let rest = Buffer.from(text);
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(1, rest));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (readerHasGone(e as NodeJS.ErrnoException)) process.exit(0);
      if (code !== 'EAGAIN') throw e;
      process.stdout.write(rest);
    }
    return true;
  },
};
