/** Errors that end a command with a message and exit code 2 (usage or configuration). */
export class UsageError extends Error {}
