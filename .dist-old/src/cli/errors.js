/** Errors of a command's arguments: the message and exit code 2. */
import { UserError } from '../../parsers/userError.js';
export class UsageError extends UserError {
    name = 'UsageError';
}
//# sourceMappingURL=errors.js.map