/**
 * Which module answers a quick lookup: the bundle that `npm run build` makes of quickLookup.js and
 * every module a lookup loads (build/bundleLookup.ts: one file instead of ~40 to resolve and load,
 * better-sqlite3 left out), or, when there is none or it is older than this build, quickLookup.js
 * itself. `tsc` alone rewrites the modules, not the bundle: a bundle older than them would answer
 * with code that is no longer the source's.
 */

// Not `import ... from 'node:fs'`: that runs all of node:fs's lazy getters (the file streams: ~2 ms).
const { statSync } = process.getBuiltinModule('node:fs');

/** Where build/bundleLookup.ts writes the bundle, next to this module. */
export const QUICK_BUNDLE = new URL('./quick/quickLookup.js', import.meta.url);

/** `bundle` if it exists and was written no earlier than `builtFrom` (a module tsc wrote in the same build). */
export function freshBundle(bundle: URL, builtFrom: URL): boolean {
  const made = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  return made !== undefined && made >= statSync(builtFrom).mtimeMs;
}

/** The URL of the module to import for runQuickLookup. */
export function quickEntry(): string {
  return freshBundle(QUICK_BUNDLE, new URL(import.meta.url))
    ? QUICK_BUNDLE.href
    : new URL('./quickLookup.js', import.meta.url).href;
}
