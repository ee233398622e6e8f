/**
 * Named queries for what the rest of claw-trace reads from the index beyond RecordIndex's own
 * lookups: the SQL stays in src/store, next to the schema it depends on. Each is a prepared
 * statement cached by the index (see RecordIndex.prepared).
 */
import type { RecordIndex } from './recordIndex.js';
import { limitOf } from './statements.js';

const ACCESS = `('nginx-access', 'caddy-access')`;

/** Unreadable lines in the index by reason (the agent's `claw_trace_parse_errors`). */
export function parseErrorsByReason(index: RecordIndex): { reason: string; n: number }[] {
  return index.prepared(`SELECT reason, sum(count) AS n FROM parse_errors GROUP BY reason`).all() as {
    reason: string;
    n: number;
  }[];
}

// ---- the export's change log: one row per committed batch of one file's lines ----------------

export interface ChangeRow {
  seq: number;
  /** Exact (past file 8191 an id exceeds 2^53). */
  first_id: bigint;
  last_id: bigint;
}
export interface ChangedLine {
  time: number;
  source: string;
  request_id: string | null;
  status: number | null;
}

/** The change log's batches after `seq`, oldest first. */
export function changesAfter(index: RecordIndex, seq: number, limit: number): ChangeRow[] {
  const n = Math.max(1, Math.min(100_000, Math.floor(limit)));
  const rows = index
    .prepared(`SELECT seq, first_id, last_id FROM batches WHERE seq > ? ORDER BY seq LIMIT ${n}`)
    .safeIntegers()
    .all(seq) as { seq: bigint; first_id: bigint; last_id: bigint }[];
  return rows.map((r) => ({ seq: Number(r.seq), first_id: r.first_id, last_id: r.last_id }));
}

/** The lines of one batch (what the exporter needs of them): its rows, then its lines kept without one. */
export function linesOfChange(index: RecordIndex, b: ChangeRow): ChangedLine[] {
  const rows = index
    .prepared(`SELECT time, source, request_id, status FROM records WHERE id BETWEEN ? AND ?`)
    .safeIntegers(false)
    .all(b.first_id, b.last_id) as ChangedLine[];
  for (const { row } of index.rowlessInRange(b.first_id, b.last_id))
    rows.push({ time: row.time, source: row.source, request_id: row.request_id, status: row.status });
  return rows;
}

export function hasChangesAfter(index: RecordIndex, seq: number): boolean {
  return index.prepared(`SELECT 1 FROM batches WHERE seq > ? LIMIT 1`).pluck().get(seq) !== undefined;
}

/** The exporter has handled everything up to `seq`. */
export function forgetChangesUpTo(index: RecordIndex, seq: number): void {
  index.prepared(`DELETE FROM batches WHERE seq <= ?`).run(seq);
}

// ---- failures and traffic ---------------------------------------------------------------------

/**
 * Access lines that may be failures: errors, client aborts, every 101/status 0 (cut WebSockets),
 * every request that asked for an upgrade (one not forwarded can be answered 200), and nginx
 * lines whose connection has an error line in the window (a 200 whose body was cut). Newest first.
 */
export function failureCandidates(
  index: RecordIndex,
  o: { from: number; to: number; region?: string },
): { requestId: string | null }[] {
  const { where, args } = candidateRows(o);
  const rows = index
    .prepared(`SELECT request_id AS requestId, time FROM records WHERE ${where} ORDER BY time DESC`)
    .all(...args) as { requestId: string | null; time: number }[];
  // Plain answers kept without a row, on a connection an error line names (a 200 whose body was cut).
  const conns = errorConnections(index, o);
  const rowless = conns.length === 0 ? [] : index.rowlessOnConnections(conns, o.from, o.to);
  const inRegion = rowless.filter((r) => o.region === undefined || r.region === o.region);
  if (inRegion.length === 0) return rows;
  return [...rows, ...inRegion.map((r) => ({ requestId: r.request_id, time: r.time }))].sort((a, b) => b.time - a.time);
}

/**
 * How many lines failureCandidates would return, counted no further than `max` + 1 (more: `max`
 * + 1). Reads at most `max` + 1 rows, the error lines' connections (more than `max` of them: an
 * incident, counted as more without looking) and the plain lines on those.
 */
export function failureCandidatesUpTo(index: RecordIndex, o: { from: number; to: number }, max: number): number {
  const cap = limitOf(max + 1);
  const { where, args } = candidateRows(o);
  const n = index
    .prepared(`SELECT count(*) FROM (SELECT 1 FROM records WHERE ${where} LIMIT ${cap})`)
    .pluck()
    .get(...args) as number;
  if (n > max) return cap;
  const conns = errorConnections(index, o, cap);
  if (conns.length === 0) return n;
  if (conns.length > max) return cap;
  return Math.min(cap, n + index.rowlessOnConnections(conns, o.from, o.to).length);
}

function candidateRows(o: { from: number; to: number; region?: string }): { where: string; args: (string | number)[] } {
  const where = [
    `source IN ${ACCESS}`,
    'time >= ?',
    'time < ?',
    `(status >= 400 OR status IN (0, 101) OR status IS NULL OR upgrade = 1
    OR (source = 'nginx-access' AND conn IN (SELECT conn FROM records WHERE source = 'nginx-error' AND ${SIDE} AND error_kind IS NOT NULL AND time >= ? AND time < ?)))`,
  ];
  const args: (string | number)[] = [o.from, o.to, o.from - 2000, o.to + 2000];
  if (o.region !== undefined) {
    where.push('(id >> 40) IN (SELECT id FROM files WHERE region = ?)');
    args.push(o.region);
  }
  return { where: where.join(' AND '), args };
}

/** `source = 'nginx-error'` says it, but SQLite uses the side lines' index (records_side) only with its own condition. */
const SIDE = `source NOT IN ${ACCESS}`;

/** Connections an nginx error line of the window (2 s either side) names (at most `limit`). */
function errorConnections(index: RecordIndex, o: { from: number; to: number }, limit?: number): number[] {
  return index
    .prepared(`SELECT DISTINCT conn FROM records WHERE source = 'nginx-error' AND ${SIDE} AND error_kind IS NOT NULL
    AND conn IS NOT NULL AND time >= ? AND time < ?${limit === undefined ? '' : ` LIMIT ${limitOf(limit)}`}`)
    .pluck()
    .all(o.from - 2000, o.to + 2000) as number[];
}

/** Access lines of a window by region ('-': none). */
export function accessByRegion(index: RecordIndex, from: number, to: number): { region: string; n: number }[] {
  const rows = index
    .prepared(`SELECT coalesce(f.region, '-') AS region, count(*) AS n FROM records r JOIN files f ON f.id = r.id >> 40
    WHERE r.time >= ? AND r.time < ? AND r.source IN ${ACCESS} GROUP BY 1`)
    .all(from, to) as { region: string; n: number }[];
  const by = new Map(rows.map((r) => [r.region, r.n]));
  const regionOf = new Map<number, string>();
  for (const c of index.rowlessCounts(from, to)) {
    let region = regionOf.get(c.file_id);
    if (region === undefined) {
      region = index.fileById(c.file_id)?.region ?? '-';
      regionOf.set(c.file_id, region);
    }
    by.set(region, (by.get(region) ?? 0) + c.n);
  }
  return [...by].map(([region, n]) => ({ region, n }));
}

/** Answered access lines of a window (status 100..399, not 101). */
export function plainSuccesses(index: RecordIndex, from: number, to: number): number {
  const rows = index
    .prepared(
      `SELECT count(*) FROM records WHERE time >= ? AND time < ? AND source IN ${ACCESS} AND status >= 100 AND status < 400 AND status <> 101`,
    )
    .pluck()
    .get(from, to) as number;
  // Every line kept without a row is one (rowless.ts).
  return rows + index.rowlessCounts(from, to).reduce((s, c) => s + c.n, 0);
}

/** Access lines per minute of a window (minute: epoch ms / 60000, floored). */
export function accessPerMinute(index: RecordIndex, from: number, to: number): { m: number; n: number }[] {
  const rows = index
    .prepared(
      `SELECT time / 60000 AS m, count(*) AS n FROM records WHERE time >= ? AND time < ? AND source IN ${ACCESS} GROUP BY 1`,
    )
    .all(from, to) as { m: number; n: number }[];
  const by = new Map(rows.map((r) => [r.m, r.n]));
  for (const c of index.rowlessCounts(from, to)) {
    const m = Math.floor(c.second / 60);
    by.set(m, (by.get(m) ?? 0) + c.n);
  }
  return [...by].map(([m, n]) => ({ m, n }));
}
