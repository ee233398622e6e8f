/**
 * When a long-running command (`agent`, `follow`) should stop: SIGTERM, SIGINT, or the loss of
 * the shell that npm put between itself and us.
 *
 * npm runs `npx claw-trace agent` (and every package script) as `sh -c '...'` and forwards a
 * SIGTERM to that shell only. Debian's sh (dash) does not exec its last command: it dies of the
 * signal and leaves node running as an orphan, still holding the API port. So a process that npm
 * started watches its parent, and takes its parent's exit as the SIGTERM it was meant to get.
 * Outside npm a parent that goes away is no reason to stop (`nohup claw-trace agent &`).
 */
export type StopReason = 'SIGTERM' | 'SIGINT' | 'parent exited';

/**
 * Calls `stop` once, on the first reason; later signals are ignored (Ctrl-C under `npm start`
 * reaches node twice: from the terminal and forwarded by npm). Returns a function that removes
 * the handlers.
 */
export function onStop(
  stop: (reason: StopReason) => void,
  env: NodeJS.ProcessEnv = process.env,
  pollMs = 250,
): () => void {
  let done = false;
  const fire = (reason: StopReason) => {
    if (done) return;
    done = true;
    clearInterval(watch);
    stop(reason);
  };
  const onTerm = () => fire('SIGTERM');
  const onInt = () => fire('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let watch: NodeJS.Timeout | undefined;
  if (env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    watch = setInterval(() => {
      if (process.ppid !== parent) fire('parent exited');
    }, pollMs);
    watch.unref();
  }
  function dispose(): void {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    clearInterval(watch);
  }
  return dispose;
}
