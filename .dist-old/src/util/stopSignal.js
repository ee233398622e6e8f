/**
 * Calls `stop` once, on the first reason; later signals are ignored (Ctrl-C under `npm start`
 * reaches node twice: from the terminal and forwarded by npm). Returns a function that removes
 * the handlers.
 */
export function onStop(stop, env = process.env, pollMs = 250) {
    let done = false;
    const fire = (reason) => {
        if (done)
            return;
        done = true;
        clearInterval(watch);
        stop(reason);
    };
    const onTerm = () => fire('SIGTERM');
    const onInt = () => fire('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    let watch;
    if (env.npm_lifecycle_event !== undefined) {
        const parent = process.ppid;
        watch = setInterval(() => {
            if (process.ppid !== parent)
                fire('parent exited');
        }, pollMs);
        watch.unref();
    }
    function dispose() {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        clearInterval(watch);
    }
    return dispose;
}
//# sourceMappingURL=stopSignal.js.map