/** Where claw-trace keeps its state by default: the platform's per-user state directory. */
import os from 'node:os';
import path from 'node:path';
export function defaultStateDir(env = process.env, platform = process.platform) {
    if (env.CLAW_TRACE_HOME)
        return env.CLAW_TRACE_HOME;
    if (platform === 'darwin')
        return path.join(os.homedir(), 'Library', 'Application Support', 'claw-trace');
    return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'claw-trace');
}
export function defaultIndexPath(env = process.env) {
    return path.join(defaultStateDir(env), 'index.db');
}
//# sourceMappingURL=paths.js.map