/**
 * The SQLite driver, chosen by the running Node: every module imports `Database` from here, never
 * from a better-sqlite3 package. On Node >= 22 it is better-sqlite3 13 (Node-API, prebuilt binaries
 * in its npm package; installed as `better-sqlite3-napi`); below, better-sqlite3 12. 12 derives its
 * objects from `node::ObjectWrap`, whose destructor aborts on Node 24 (`Assertion failed: (env) !=
 * nullptr` in RemoveEnvironmentCleanupHook, at exit or when a statement is garbage-collected); 13
 * wants Node >= 22 and segfaults on Node 20. Only the chosen package is ever loaded. The API and
 * the types (@types/better-sqlite3) are the same for both.
 */
import { createRequire } from 'node:module';
/** The package loaded on this Node. */
export const SQLITE_DRIVER = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
const Database = createRequire(import.meta.url)(SQLITE_DRIVER);
export default Database;
//# sourceMappingURL=sqlite.js.map