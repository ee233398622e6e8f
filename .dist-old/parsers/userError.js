/**
 * Errors the user can fix (a flag, a config key, a format, a file): the command ends with the
 * message, no stack trace, and the exit code the error carries (2: usage or configuration).
 * Every such error extends this class, so `main.ts` recognises them by class, not by wording.
 * It lives in parsers/ because the parsers, the lowest layer, throw some of them.
 */
export class UserError extends Error {
    exitCode;
    name = 'UserError';
    constructor(message, exitCode = 2) {
        super(message);
        this.exitCode = exitCode;
    }
}
//# sourceMappingURL=userError.js.map