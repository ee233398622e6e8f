/** Errors of a command's arguments: the message and exit code 2. */
import { UserError } from '../../parsers/userError.js';

export class UsageError extends UserError {
  override name = 'UsageError';
}

/**
 * Ends the command on an error the user can fix (a UserError, or a file named on the command line
 * that cannot be read): its message, no stack trace, its exit code. Anything else is a bug: thrown on.
 */
export function exitOnUserError(e: unknown): never {
  if (e instanceof UserError) {
    process.stderr.write(`claw-trace: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
    process.stderr.write(`claw-trace: ${err.message}\n`);
    process.exit(2);
  }
  throw e;
}

/**
 * `claw-trace parse big.log | head`: a reader that leaves early ends the command quietly, as it
 * would any Unix tool (Node ignores SIGPIPE: the write fails with EPIPE instead; ECONNRESET when
 * stdout is a socket pair, as node's `spawn` makes, and the reader left with data unread).
 */
export function readerHasGone(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EPIPE' || e.code === 'ECONNRESET';
}

export function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (!readerHasGone(e)) throw e;
    process.exit(0);
  });
}
