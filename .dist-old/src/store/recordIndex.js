/**
 * The SQLite index (better-sqlite3, WAL), as one object over its parts, each in its own file:
 * opening and migrations (database.ts), files and checkpoints (files.ts), records and their
 * commits and bulk loads (records.ts), the raw lines' compressed blocks (lineBlocks.ts), the ID
 * runs (idRuns.ts), and reading (lookups.ts; the named queries of the rest in queries.ts).
 * Guarantee: a batch of records and the checkpoint that covers it are committed in one
 * transaction, so after a crash or kill -9 the index ends exactly where the checkpoint says and
 * reading resumes there: no line lost, none twice.
 */
import { openDatabase } from './database.js';
import { FileStore } from './files.js';
import { IdRuns } from './idRuns.js';
import { LineBlocks } from './lineBlocks.js';
import { Lookups } from './lookups.js';
import { BulkLoad, commitBatchOn, deleteOldBlocks, reclaimIds } from './records.js';
import { Statements } from './statements.js';
// Where they were before the store was split by concern: callers import them from here.
export { createPrivate, IndexOpenError, openDatabase, processAlive } from './database.js';
export { storedLines } from './lookups.js';
export { MAX_REQUEST_ID_CHARS, recordId } from './records.js';
export class RecordIndex {
    db;
    statements;
    runs;
    blocks;
    fileStore;
    lookups;
    bulk;
    /** One transaction: the records, the unreadable lines, and the checkpoint that covers them. */
    commitBatch;
    constructor(file, opts = {}) {
        this.db = openDatabase(file, opts.cacheMiB, opts.walCheckpointMiB);
        const db = this.db;
        this.bulk = new BulkLoad(db);
        try {
            this.bulk.clearKilled();
        }
        catch (e) {
            db.close();
            throw e;
        }
        this.statements = new Statements(db);
        this.runs = new IdRuns(db);
        this.blocks = new LineBlocks(db);
        this.fileStore = new FileStore(db, this.statements);
        this.lookups = new Lookups(this.statements, this.blocks);
        this.commitBatch = commitBatchOn(db, this.runs, this.blocks);
    }
    close() {
        this.db.close();
    }
    /** The index's file (as opened). */
    get file() {
        return this.db.name;
    }
    get readonly() {
        return this.db.readonly;
    }
    /** From now on this connection refuses every write (SQLite's `query_only`): for readers such as the agent's query threads. */
    queryOnly() {
        this.db.pragma('query_only = ON');
    }
    /** Runs `f` in one transaction on the index (for a caller's several writes that go together). */
    transaction(f) {
        return this.db.transaction(f)();
    }
    /** A prepared statement, prepared once per SQL text (for src/store's named queries). */
    prepared(sql) {
        return this.statements.get(sql);
    }
    // ---- records: commits, bulk loads, retention --------------------------------------------
    /** After records were deleted (retention): ID runs older than every record left go, up to `budget` entries; 0: none left. */
    reclaimIds(budget) {
        return reclaimIds(this.db, this.runs, budget);
    }
    /** After records were deleted (retention): blocks whose lines are all gone, up to `budget`; returns how many went. */
    reclaimBlocks(budget) {
        const n = deleteOldBlocks(this.db, budget);
        if (n > 0)
            this.blocks.clearCache();
        return n;
    }
    /** Starts a bulk load (see records.ts BulkLoad); says which journal the load writes through. */
    beginBulkLoad() {
        return this.bulk.begin();
    }
    endBulkLoad() {
        this.bulk.end();
    }
    /** True while a bulk load (this process's or a live one's) runs. */
    bulkLoading() {
        return this.bulk.running();
    }
    /** The newest committed batch's sequence number in the change log (0 if none). */
    lastBatch() {
        return this.statements.get(`SELECT coalesce(max(seq), 0) FROM batches`).pluck().get();
    }
    // ---- meta --------------------------------------------------------------------------------
    /** A random ID made when the index was created (state kept elsewhere is keyed by it). */
    get indexId() {
        return this.getMeta('index_id');
    }
    /** A value kept in the index's meta table (undefined if unset). */
    getMeta(key) {
        return this.statements.get(`SELECT value FROM meta WHERE key = ?`).pluck().get(key);
    }
    setMeta(key, value) {
        this.statements
            .get(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
            .run(key, value);
    }
    // ---- files and checkpoints (files.ts) ----------------------------------------------------
    findFile(dev, ino, headHash, headLen) {
        return this.fileStore.find(dev, ino, headHash, headLen);
    }
    fileAtPathWithInode(file, dev, ino) {
        return this.fileStore.atPathWithInode(file, dev, ino);
    }
    fileById(id) {
        return this.fileStore.byId(id);
    }
    filesAtPath(file, limit = 3) {
        return this.fileStore.atPath(file, limit);
    }
    recentFilesUnder(prefix, limit = 10) {
        return this.fileStore.recentUnder(prefix, limit);
    }
    addFile(f) {
        return this.fileStore.add(f);
    }
    moveFile(id, f) {
        this.fileStore.move(id, f);
    }
    recordGap(id) {
        this.fileStore.recordGap(id);
    }
    files() {
        return this.fileStore.all();
    }
    // ---- reading (lookups.ts) ----------------------------------------------------------------
    byRequestId(id, limit = 1000) {
        return this.lookups.byRequestId(id, limit);
    }
    byTraceId(id, limit = 1000) {
        return this.lookups.byTraceId(id, limit);
    }
    hasRequestId(id) {
        return this.lookups.hasRequestId(id);
    }
    requestIdsWithPrefix(prefix, limit = 10) {
        return this.lookups.requestIdsWithPrefix(prefix, limit);
    }
    recentSuccesses(from, to, limit = 2000) {
        return this.lookups.recentSuccesses(from, to, limit);
    }
    window(from, to, sources, limit = 5000) {
        return this.lookups.window(from, to, sources, limit);
    }
    upgradesBetween(from, to, limit = 500) {
        return this.lookups.upgradesBetween(from, to, limit);
    }
    search(q) {
        return this.lookups.search(q);
    }
    counts() {
        return this.lookups.counts();
    }
}
//# sourceMappingURL=recordIndex.js.map