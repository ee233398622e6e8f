/**
 * Which lines get a `records` row (schema 6).
 *
 * Why: a row per line cost more than everything else a backfill does (a row insert with its time
 * index was ~2.7 us of a combined line's ~8 us; issue 14). Most lines of a busy proxy are plain
 * answers that no query filters on one by one: they are only ever found by their request/trace
 * ID (the ID runs point at the line's id, the block holds it), by time (the block's time span)
 * or counted (per file and second, the `traffic` table). So a line keeps a row only where a
 * query looks for it by its columns: every error-log and gateway line (the joins read them by
 * time), and every access line that may be a failure (the `5xx` candidates: status >= 400 or
 * missing, 0, 101, < 100, or a WebSocket upgrade asked for, which a 200 can hide). A plain
 * nginx line's connection number and time are an entry of the ID runs (kind 2, since schema 7;
 * a `conns` table with two B-trees before), for the join with error lines on the same
 * connection (a 200 whose body was cut).
 */
import { asksForWebSocket, isAccessSource, type LogRecord } from '../../parsers/record.js';

/** True if the line lives in its block alone: a plain answer of an access log. */
export function keptWithoutRow(r: Pick<LogRecord, 'source' | 'status' | 'upgrade'>): boolean {
  return (
    isAccessSource(r.source) &&
    r.status !== undefined &&
    r.status >= 100 &&
    r.status < 400 &&
    r.status !== 101 &&
    !asksForWebSocket(r)
  );
}
