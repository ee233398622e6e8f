/**
 * The index's database: opening it (private file modes, WAL, pragmas) and the schema migrations
 * from every earlier version. Refuses a newer or a foreign database untouched.
 */

import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../parsers/userError.js';
import { applyMigration, SCHEMA_VERSION } from './schema.js';
import Database from './sqlite.js';

export class IndexOpenError extends UserError {
  override name = 'IndexOpenError';
}

/**
 * The schema version of an opened database (0: empty), read before anything is written to it:
 * a database that is not a claw-trace index, or a newer one, is refused untouched (not even
 * switched to WAL mode).
 */
function schemaVersion(db: Database.Database, file: string): number {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  let version = 0;
  if (tables.length > 0) {
    if (!tables.includes('meta')) {
      throw new IndexOpenError(
        `${file} is an SQLite database but not a claw-trace index (no meta table): use another --db path`,
      );
    }
    const v = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
    version = Number(v ?? NaN);
    if (!Number.isInteger(version))
      throw new IndexOpenError(`${file}: the claw-trace index has no readable schema version`);
  }
  if (version > SCHEMA_VERSION) {
    throw new IndexOpenError(
      `${file} was written by a newer claw-trace (schema ${version}, this one knows ${SCHEMA_VERSION}): upgrade claw-trace or use another --db`,
    );
  }
  return version;
}

function migrate(db: Database.Database, file: string): void {
  const version = schemaVersion(db, file);
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if (version === 0) db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    for (let v = version; v < SCHEMA_VERSION; v++) applyMigration(db, v);
    db.prepare(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run(String(SCHEMA_VERSION));
  })();
}

export const BUSY_TIMEOUT_MS = 5000;

/**
 * An index holds client IPs, URLs and sample lines: its folder is made 0700 and the file 0600
 * before SQLite opens it (SQLite gives the WAL and SHM files the database file's mode). Files
 * and folders that exist already keep theirs.
 */
export function createPrivate(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    try {
      closeSync(openSync(file, 'wx', 0o600));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new IndexOpenError(`cannot create the index ${file}: ${(e as Error).message}`);
    }
  }
}

export function openDatabase(file: string, cacheMiB = 32, walCheckpointMiB = 40): Database.Database {
  if (file !== ':memory:') createPrivate(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  try {
    schemaVersion(db, file);
  } catch (e) {
    db.close();
    throw e instanceof IndexOpenError
      ? e
      : new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  try {
    // Both take effect on a new database only. The page size trades live intake against bulk
    // loads: live, every line's request ID lands on a random leaf of its index and each commit
    // writes every leaf it touched whole (to the WAL, then at the checkpoint). Measured at 5,000
    // lines/s into 1M rows for 20 s: 16 KiB pages wrote 4.3 GB (commit CPU 3.4 s), 8 KiB 2.4 GB
    // (2.5 s), 4 KiB 1.6 GB (2.3 s); a claw_json bulk load, medians of 5: 167,000, 161,000 and
    // 134,000 lines/s. 8 KiB.
    db.pragma('page_size = 8192');
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
  } catch (e) {
    throw new IndexOpenError(`cannot open the index ${file}: ${(e as Error).message}`);
  }
  // WAL + NORMAL: a committed transaction survives the process being killed (it is in the WAL);
  // only a power cut can lose the last ones, and never the database's consistency.
  db.pragma('synchronous = NORMAL');
  // Sorts (the ID runs' merge steps, ORDER BY) in memory: a temporary file was created and
  // deleted at every bulk commit (strace). A merge step sorts at most ~50,000 small entries.
  db.pragma('temp_store = MEMORY');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  // 32 MiB of page cache by default: room for the hot index pages at backfill speed, peak RSS under 200 MB.
  db.pragma(`cache_size = ${-Math.round(cacheMiB * 1024)}`);
  // A checkpoint runs inside the commit that crosses the threshold: large for a backfill's speed,
  // small for the agent, whose API shares the thread (160 MiB took up to ~300 ms there, 16 MiB
  // made commits of p99 42 ms, 4 MiB 19 ms). In bytes: indexes made before 8 KiB pages have 16 KiB.
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.max(64, Math.floor((walCheckpointMiB * 1024 * 1024) / pageSize))}`);
  try {
    migrate(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** Whether a process with this PID runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
