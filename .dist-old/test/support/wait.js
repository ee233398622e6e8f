/** Waiting for a condition instead of sleeping for a guess. */
/**
 * Resolves when `ok()` holds (polled every `everyMs`), or fails after `ms` naming `what` it
 * waited for. `ok` may be async (an HTTP probe, a query).
 */
export async function waitFor(what, ok, ms = 10_000, everyMs = 20) {
    const deadline = Date.now() + ms;
    for (;;) {
        if (await ok())
            return;
        if (Date.now() > deadline)
            throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
/** `waitFor`, returning the first value `get()` gives that is not undefined. */
export async function waitForValue(what, get, ms = 10_000, everyMs = 20) {
    let found;
    await waitFor(what, async () => (found = await get()) !== undefined, ms, everyMs);
    if (found === undefined)
        throw new Error(`no value for ${what}`);
    return found;
}
//# sourceMappingURL=wait.js.map