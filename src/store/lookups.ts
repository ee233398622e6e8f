/**
 * Reading records back: by request or trace ID (a search in every readable ID run), by time
 * window, failures, and counts. Each row comes with its raw line (from its block since schema 5)
 * and its file's path, format, options and region, which is what rehydrate.ts needs to parse
 * the line again.
 */
import { type LogRecord, ParseError, parserFor } from '../../parsers/index.js';
import { after, afterPrefix, connKey } from './idPages.js';
import { ID_KIND, SCAN, scanIds, visitIds } from './idRuns.js';
import { type Decoded, isRowless, LineBlocks, type RawRow } from './lineBlocks.js';
import { requestIdKey, wellFormed } from './prepare.js';
import { OFFSET_MASK } from './records.js';
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
  /** A line kept without a row (rowless.ts) comes parsed already: rehydrate takes this. */
  parsed?: LogRecord;
}

interface FileInfo {
  path: string;
  format: string;
  options: string;
  region: string | null;
}

/** A line of a block kept without a row, parsed: its id, time and record. */
export interface RowlessLine {
  id: bigint;
  row: StoredRecord;
}

const byTime = (a: StoredRecord, b: StoredRecord) => a.time - b.time;

const COLUMNS = `r.id, f.id AS file_id, f.path, f.format, f.options, r.id & ${OFFSET_MASK} AS offset, r.line_no, r.time,
    r.source, f.region, r.request_id, r.status, r.error_kind, r.raw`;
const SELECT_RECORDS = `SELECT ${COLUMNS} FROM records r JOIN files f ON f.id = r.id >> 40`;
/** Rows among a JSON array of ids. */
const SELECT_AT = `${SELECT_RECORDS} WHERE r.id IN (SELECT value FROM json_each(?))`;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class Lookups {
  constructor(
    private readonly statements: Statements,
    private readonly blocks: LineBlocks,
  ) {}

  private rows(sql: string, ...args: unknown[]): StoredRecord[] {
    return this.blocks.fill(this.statements.get(sql).all(...args) as StoredRecord[]);
  }

  private fileInfo(fileId: number, cache: Map<number, FileInfo | undefined>): FileInfo | undefined {
    if (!cache.has(fileId))
      cache.set(
        fileId,
        this.statements.get(`SELECT path, format, options, region FROM files WHERE id = ?`).get(fileId) as
          | FileInfo
          | undefined,
      );
    return cache.get(fileId);
  }

  /** Line `i` of a decoded block as a stored record, parsed (undefined if its parser now refuses it). */
  private rowOf(b: Decoded, i: number, files: Map<number, FileInfo | undefined>): RowlessLine | undefined {
    const id = b.firstId + BigInt(b.offsets[i]!);
    const fileId = Number(id >> 40n);
    const f = this.fileInfo(fileId, files);
    if (f === undefined) return undefined;
    const raw = b.lines[i]!;
    const r = parserFor(f.format, f.options)(raw);
    if (r instanceof ParseError) return undefined;
    const rid = r.requestId;
    return {
      id,
      row: {
        id: Number(id),
        file_id: fileId,
        path: f.path,
        format: f.format,
        options: f.options,
        offset: Number(id & OFFSET_MASK),
        line_no: b.lineNos?.[i] ?? 0,
        time: Math.round(r.time),
        source: r.source,
        region: f.region,
        request_id: rid === undefined ? null : requestIdKey(rid),
        status: r.status ?? null,
        error_kind: r.errorKind ?? null,
        raw,
        parsed: r,
      },
    };
  }

  /** The lines kept without a row in one decoded block, parsed. */
  private rowlessOf(b: Decoded, files: Map<number, FileInfo | undefined>): RowlessLine[] {
    const out: RowlessLine[] = [];
    for (let i = 0; i < b.lines.length; i++) {
      if (!isRowless(b, i)) continue;
      const l = this.rowOf(b, i, files);
      if (l !== undefined) out.push(l);
    }
    return out;
  }

  /** Lines kept without a row at these ids (those still stored, parsed), in id order. */
  private rowlessAt(ids: bigint[]): RowlessLine[] {
    const files = new Map<number, FileInfo | undefined>();
    const out: RowlessLine[] = [];
    for (const id of [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
      const b = this.blocks.blockAt(id);
      if (b === undefined) continue;
      const i = b.index;
      if (i < 0 || !isRowless(b.block, i)) continue;
      const l = this.rowOf(b.block, i, files);
      if (l !== undefined) out.push(l);
    }
    return out;
  }

  /** The lines an entry of the readable runs points at for one key (at most `cap`). */
  private entriesOf(kind: number, key: string, cap = 100_000): bigint[] {
    const k = utf8.encode(key);
    return scanIds(this.statements, kind, k, after(k), cap);
  }

  /** The rows at these ids (those still stored) that carry `key` in `column`. */
  private rowsAt(ids: readonly bigint[], column: 'request_id' | 'trace_id', key: string): StoredRecord[] {
    if (ids.length === 0) return [];
    return this.rows(`${SELECT_AT} AND r.${column} = ?`, `[${ids.join(',')}]`, key);
  }

  /**
   * Records by one of their IDs: a search in every readable run; each entry's row must still
   * exist and carry that ID (a run partly past retention points at deleted rows), or, for a line
   * kept without a row, its block must still be stored and the line parse to that ID.
   */
  private byId(kind: number, column: 'request_id' | 'trace_id', id: string, limit: number): StoredRecord[] {
    const ids = this.entriesOf(kind, id);
    const rows = this.rowsAt(ids, column, id);
    const withRow = new Set(rows.map((r) => BigInt(r.id)));
    const rowless = this.rowlessAt(ids.filter((i) => !withRow.has(i)))
      .map((l) => l.row)
      .filter(
        // IDs are kept well-formed on both sides (prepare.ts wellFormed): equal strings, equal bytes.
        (r) => (column === 'request_id' ? r.request_id : r.parsed?.traceId && wellFormed(r.parsed.traceId)) === id,
      );
    return [...rows, ...rowless].sort(byTime).slice(0, limitOf(limit));
  }

  /**
   * Lines kept without a row whose time is in [from, to), newest or oldest first, at least the
   * first `limit` of them by time (more may come: the caller sorts and cuts), and `keep` true.
   */
  rowlessInWindow(
    from: number,
    to: number,
    o: { newestFirst: boolean; limit: number; keep?: (r: StoredRecord) => boolean; region?: string },
  ): StoredRecord[] {
    const files = new Map<number, FileInfo | undefined>();
    let out: StoredRecord[] = [];
    let threshold = o.newestFirst ? -Infinity : Infinity;
    // Blocks of another region's files are skipped before they are decompressed.
    const skip =
      o.region === undefined ? undefined : (fileId: number) => this.fileInfo(fileId, files)?.region !== o.region;
    for (const b of this.blocks.rowlessInWindow(from, to, o.newestFirst, skip)) {
      // Blocks come in the order of the bound on their lines' times: none can beat the ones kept.
      if (out.length >= o.limit && (o.newestFirst ? b.bound < threshold : b.bound > threshold)) break;
      for (const { row } of this.rowlessOf(b, files)) {
        if (row.time >= from && row.time < to && (o.keep === undefined || o.keep(row))) out.push(row);
      }
      if (out.length >= o.limit) {
        out.sort(o.newestFirst ? (x, y) => y.time - x.time : byTime);
        out = out.slice(0, o.limit);
        threshold = out[out.length - 1]!.time;
      }
    }
    return out;
  }

  /** Lines kept without a row with ids in [firstId, lastId] (one file's batch), parsed, in id order. */
  rowlessInRange(firstId: bigint, lastId: bigint): RowlessLine[] {
    const files = new Map<number, FileInfo | undefined>();
    const out: RowlessLine[] = [];
    for (const b of this.blocks.rowlessInRange(firstId, lastId)) {
      for (const l of this.rowlessOf(b, files)) if (l.id >= firstId && l.id <= lastId) out.push(l);
    }
    return out;
  }

  /** Lines kept without a row on these nginx connections (entries of kind conn), time in [from, to). */
  rowlessOnConnections(conns: readonly number[], from: number, to: number): StoredRecord[] {
    const ids: bigint[] = [];
    for (const c of conns) {
      const lo = connKey(c, Math.ceil(from));
      const hi = connKey(c, Math.ceil(to));
      ids.push(...scanIds(this.statements, ID_KIND.conn, lo, hi, 100_000));
    }
    // A connection number past 2^53 is kept as 2^53 - 1 (keyNumber): the line's own number decides.
    const wanted = new Set(conns);
    return this.rowlessAt(ids)
      .map((l) => l.row)
      .filter(
        (r) =>
          r.time >= from &&
          r.time < to &&
          r.source === 'nginx-access' &&
          r.parsed?.connection !== undefined &&
          wanted.has(r.parsed.connection),
      );
  }

  /**
   * Lines kept without a row per file and second of [from, to): the whole seconds from the
   * traffic table, the seconds cut by the window's ends counted line by line from their blocks.
   */
  rowlessCounts(from: number, to: number): { file_id: number; second: number; n: number }[] {
    if (!(to > from)) return [];
    const lo = Math.ceil(from / 1000);
    const hi = Math.floor(to / 1000); // whole seconds: [lo, hi)
    const out: { file_id: number; second: number; n: number }[] = [];
    const edge = (a: number, b: number) => {
      const per = new Map<string, { file_id: number; second: number; n: number }>();
      for (const r of this.rowlessInWindow(a, b, { newestFirst: false, limit: Number.MAX_SAFE_INTEGER })) {
        const second = Math.floor(r.time / 1000);
        const k = `${r.file_id}/${second}`;
        const e = per.get(k);
        if (e) e.n++;
        else per.set(k, { file_id: r.file_id, second, n: 1 });
      }
      out.push(...per.values());
    };
    if (lo >= hi) {
      edge(from, to);
      return out;
    }
    if (from < lo * 1000) edge(from, lo * 1000);
    out.push(
      ...(this.statements
        .get(
          `SELECT first_id >> 40 AS file_id, second, sum(n) AS n FROM traffic WHERE second >= ? AND second < ? GROUP BY 1, 2`,
        )
        .all(lo, hi) as { file_id: number; second: number; n: number }[]),
    );
    if (hi * 1000 < to) edge(hi * 1000, to);
    return out;
  }

  byRequestId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.request, 'request_id', requestIdKey(id), limit);
  }

  byTraceId(id: string, limit = 1000): StoredRecord[] {
    return this.byId(ID_KIND.trace, 'trace_id', wellFormed(id), limit);
  }

  /** Whether any line carries this request ID (index probes and one row read, or one block). */
  hasRequestId(id: string): boolean {
    const key = requestIdKey(id);
    return this.carriesRequestId(this.entriesOf(ID_KIND.request, key), key);
  }

  /**
   * Whether one of these lines (still stored) carries the request ID `key`: a row of one of them
   * (one query for all), else the lines kept without a row, a few blocks at a time.
   */
  private carriesRequestId(ids: bigint[], key: string): boolean {
    if (ids.length === 0) return false;
    const rows = this.statements
      .get(`SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?)) AND request_id = ? LIMIT 1`)
      .safeIntegers();
    if (rows.get(`[${ids.join(',')}]`, key) !== undefined) return true;
    for (let i = 0; i < ids.length; i += 16)
      if (this.rowlessAt(ids.slice(i, i + 16)).some((l) => l.row.request_id === key)) return true;
    return false;
  }

  /**
   * Request IDs that start with `prefix` (the first `limit` in order), by index range, never
   * LIKE: each run's entries from the prefix on, key by key, until `limit` keys still stored.
   */
  requestIdsWithPrefix(prefix: string, limit = 10): string[] {
    const p = utf8.encode(requestIdKey(prefix));
    const n = limitOf(limit);
    // Keys as latin1 strings of their bytes: compared as strings, they are in the bytes' order.
    for (let cap = n + 1; ; cap *= 4) {
      // Each run's first `cap` keys with the lines they point at. A run cut there is complete up
      // to its last key taken: keys up to the smallest of those are known in every run.
      const byKey = new Map<string, bigint[]>();
      let complete: string | undefined; // undefined: no run was cut
      let inRun = new Set<string>();
      let lastKey = '';
      let lastRun = -1;
      visitIds(this.statements, ID_KIND.request, p, afterPrefix(p), (key, record, run) => {
        if (run !== lastRun) {
          lastRun = run;
          inRun = new Set();
        }
        const k = Buffer.from(key).toString('latin1');
        if (!inRun.has(k) && inRun.size === cap) {
          if (complete === undefined || lastKey < complete) complete = lastKey;
          return SCAN.nextRun;
        }
        inRun.add(k);
        lastKey = k;
        const list = byKey.get(k);
        if (list) list.push(record);
        else byKey.set(k, [record]);
        return SCAN.more;
      });
      const found: string[] = [];
      for (const k of [...byKey.keys()].sort()) {
        if (complete !== undefined && k > complete) break;
        // A key still counts if one of its lines is still stored and carries it (retention).
        const key = fromUtf8.decode(Buffer.from(k, 'latin1'));
        if (this.carriesRequestId(byKey.get(k)!, key)) found.push(key);
        if (found.length >= n) return found;
      }
      if (complete === undefined || cap > 100_000) return found;
    }
  }

  /** The newest answered access lines (status 100..399) of a window: a sample of healthy traffic. */
  recentSuccesses(from: number, to: number, limit = 2000): StoredRecord[] {
    const n = limitOf(limit);
    const rows = this.rows(
      `${SELECT_RECORDS} WHERE r.time >= ? AND r.time < ? AND r.source IN ('nginx-access', 'caddy-access')
      AND r.status >= 100 AND r.status < 400 ORDER BY r.time DESC LIMIT ${n}`,
      from,
      to,
    );
    const rowless = this.rowlessInWindow(from, to, { newestFirst: true, limit: n });
    if (rowless.length === 0) return rows;
    return [...rows, ...rowless].sort((x, y) => y.time - x.time).slice(0, n);
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
    const n = limitOf(q.limit ?? 1000);
    const rows = this.rows(`${SELECT_RECORDS} WHERE ${where.join(' AND ')} ORDER BY r.time LIMIT ${n}`, ...args);
    // Lines kept without a row answered 100..399 (not 101): none can pass a status filter outside that.
    const s = q.status;
    if ((q.minStatus ?? 0) >= 400 || (s !== undefined && (s < 100 || s >= 400 || s === 101))) return rows;
    const rowless = this.rowlessInWindow(q.from, q.to, {
      newestFirst: false,
      limit: n,
      region: q.region,
      keep: (r) =>
        (q.minStatus === undefined || (r.status ?? 0) >= q.minStatus) &&
        (s === undefined || r.status === s) &&
        (q.region === undefined || r.region === q.region),
    });
    if (rowless.length === 0) return rows;
    return [...rows, ...rowless].sort(byTime).slice(0, n);
  }

  /** Lines stored: rows, and lines kept without one (counted per second as they were committed). */
  counts(): { files: number; records: number; errors: number } {
    return this.statements
      .get(`SELECT (SELECT count(*) FROM files) AS files,
      (SELECT count(*) FROM records) + (SELECT coalesce(sum(n), 0) FROM traffic) AS records,
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
  const blocks = new LineBlocks(db);
  const lines: { id: bigint; raw: string }[] = blocks
    .fill(rows)
    .map((r) => ({ id: (BigInt(r.file_id) << 40n) | BigInt(r.offset), raw: r.raw }));
  for (const b of blocks.rowlessInRange(0n, (1n << 63n) - 1n)) {
    for (let i = 0; i < b.lines.length; i++)
      if (isRowless(b, i)) lines.push({ id: b.firstId + BigInt(b.offsets[i]!), raw: b.lines[i]! });
  }
  return lines.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((l) => l.raw);
}

/** How many lines are stored (rows, and lines kept without one), on any connection to an index. */
export function storedLineCount(db: Database.Database): number {
  return db
    .prepare(`SELECT (SELECT count(*) FROM records) + (SELECT coalesce(sum(n), 0) FROM traffic)`)
    .pluck()
    .get() as number;
}
