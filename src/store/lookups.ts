/**
 * Reading records back: by request or trace ID (a search in every readable ID run), by time
 * window, failures, and counts. Each row comes with its raw line (from its block since schema 5)
 * and its file's path, format, options and region, which is what rehydrate.ts needs to parse
 * the line again.
 */
import { ID_KIND, READABLE_RUNS } from './idRuns.js';
import { LineBlocks, type RawRow } from './lineBlocks.js';
import { MAX_REQUEST_ID_CHARS, OFFSET_MASK } from './records.js';
import type Database from './sqlite.js';
import { limitOf, type Statements } from './statements.js';

export interface StoredRecord {
  id: number;
  file_id: number;
  path: string;
  format: string;
  options: string;
  offset: number;
  line_no: number;
  time: number;
  source: string;
  region: string | null;
  request_id: string | null;
  status: number | null;
  error_kind: string | null;
  raw: string;
}

const COLUMNS = `r.id, f.id AS file_id, f.path, f.format, f.options, r.id & ${OFFSET_MASK} AS offset, r.line_no, r.time,
    r.source, f.region, r.request_id, r.status, r.error_kind, r.raw`;
const SELECT_RECORDS = `SELECT ${COLUMNS} FROM records r JOIN files f ON f.id = r.id >> 40`;
const SELECT_BY_ID = `SELECT ${COLUMNS} FROM ids i JOIN records r ON r.id = i.record JOIN files f ON f.id = r.id >> 40`;

export class Lookups {
  constructor(
    private readonly statements: Statements,
    private readonly blocks: LineBlocks,
  ) {}

  private rows(sql: string, ...args: unknown[]): StoredRecord[] {
    return this.blocks.fill(this.statements.get(sql).all(...args) as StoredRecord[]);
  }

  /**
   * Records by one of their IDs: a search in every readable run, joined to the record, which must
   * still exist and carry that ID (a run partly past retention points at deleted rows).
   */
  private byId(kind: number, column: 'request_id' | 'trace_id', id: string, limit: number): StoredRecord[] {
    return this.rows(
      `${SELECT_BY_ID} WHERE i.run IN (${READABLE_RUNS}) AND i.kind = ${kind} AND i.key = ? AND r.${column} = i.key
      ORDER BY r.time LIMIT ${limitOf(limit)}`,
      id,
    );
  }

  byRequestId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.request, 'request_id', id.slice(0, MAX_REQUEST_ID_CHARS), limit);
  }

  byTraceId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.trace, 'trace_id', id, limit);
  }

  /** Whether any line carries this request ID (index probes and one row read). */
  hasRequestId(id: string): boolean {
    return (
      this.statements
        .get(`SELECT 1 FROM ids i JOIN records r ON r.id = i.record WHERE i.run IN (${READABLE_RUNS}) AND i.kind = ${ID_KIND.request}
      AND i.key = ? AND r.request_id = i.key LIMIT 1`)
        .get(id.slice(0, MAX_REQUEST_ID_CHARS)) !== undefined
    );
  }

  /**
   * Request IDs that start with `prefix` (the first `limit` in order), by index range, never
   * LIKE: the first `limit` of each run, merged (the overall first are among them).
   */
  requestIdsWithPrefix(prefix: string, limit = 10): string[] {
    const p = prefix.slice(0, MAX_REQUEST_ID_CHARS);
    const n = limitOf(limit);
    const perRun = this.statements
      .get(`SELECT DISTINCT i.key FROM ids i JOIN records r ON r.id = i.record WHERE i.run = ? AND i.kind = ${ID_KIND.request}
      AND i.key >= ? AND i.key < ? AND r.request_id = i.key ORDER BY i.key LIMIT ${n}`)
      .pluck();
    const found = new Set<string>();
    for (const run of this.statements.get(READABLE_RUNS).pluck().all() as number[]) {
      for (const key of perRun.all(run, p, `${p}\u{10FFFF}`) as string[]) found.add(key);
    }
    return [...found].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).slice(0, n);
  }

  /** The newest answered access lines (status 100..399) of a window: a sample of healthy traffic. */
  recentSuccesses(from: number, to: number, limit = 2000): StoredRecord[] {
    return this.rows(
      `${SELECT_RECORDS} WHERE r.time >= ? AND r.time < ? AND r.source IN ('nginx-access', 'caddy-access')
      AND r.status >= 100 AND r.status < 400 ORDER BY r.time DESC LIMIT ${limitOf(limit)}`,
      from,
      to,
    );
  }

  /** Lines of the given sources in a time window (the material for structural and inferred joins). */
  window(from: number, to: number, sources: string[], limit = 5000): StoredRecord[] {
    // The side-lines index holds only error and gateway lines; the repeated condition lets SQLite use it.
    return this.rows(
      `${SELECT_RECORDS} WHERE r.source NOT IN ('nginx-access', 'caddy-access') AND r.source IN (${sources.map(() => '?').join(', ')})
      AND r.time >= ? AND r.time <= ? ORDER BY r.time LIMIT ${limitOf(limit)}`,
      ...sources,
      Math.floor(from),
      Math.ceil(to),
    );
  }

  /** Access lines of requests that asked for a WebSocket, ending in a window (rivals for a gateway connection). */
  upgradesBetween(from: number, to: number, limit = 500): StoredRecord[] {
    return this.rows(
      `${SELECT_RECORDS} WHERE r.time >= ? AND r.time <= ? AND r.upgrade = 1 AND r.source IN ('nginx-access', 'caddy-access')
      ORDER BY r.time LIMIT ${limitOf(limit)}`,
      Math.floor(from),
      Math.ceil(to),
    );
  }

  /** A time window, optionally only failures (status >= minStatus, indexed from 400) and a region. */
  search(q: {
    from: number;
    to: number;
    minStatus?: number;
    status?: number;
    region?: string;
    accessOnly?: boolean;
    limit?: number;
  }): StoredRecord[] {
    const where = ['r.time >= ?', 'r.time < ?'];
    const args: (string | number)[] = [q.from, q.to];
    if (q.minStatus !== undefined) {
      where.push('r.status >= ?');
      args.push(q.minStatus);
    }
    if (q.status !== undefined) {
      where.push('r.status = ?');
      args.push(q.status);
    }
    if (q.accessOnly) where.push(`r.source IN ('nginx-access', 'caddy-access')`);
    if (q.region !== undefined) {
      where.push('f.region = ?');
      args.push(q.region);
    }
    return this.rows(
      `${SELECT_RECORDS} WHERE ${where.join(' AND ')} ORDER BY r.time LIMIT ${limitOf(q.limit ?? 1000)}`,
      ...args,
    );
  }

  counts(): { files: number; records: number; errors: number } {
    return this.statements
      .get(`SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM records) AS records,
      (SELECT coalesce(sum(count), 0) FROM parse_errors) AS errors`)
      .get() as { files: number; records: number; errors: number };
  }
}

/**
 * Every stored line in file-and-offset order, on any connection to an index (a read-only one
 * too): what a test or a dump compares with the log.
 */
export function storedLines(db: Database.Database): string[] {
  const rows = db
    .prepare(`SELECT id >> 40 AS file_id, id & ${OFFSET_MASK} AS offset, raw FROM records ORDER BY id`)
    .all() as RawRow[];
  return new LineBlocks(db).fill(rows).map((r) => r.raw);
}
