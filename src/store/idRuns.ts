/**
 * The request- and trace-ID index as sorted runs (LSM-style), schema 4.
 *
 * Why: a B-tree on a random key (request IDs are random) makes every commit rewrite each leaf
 * page an ID lands on, to the WAL and again at the checkpoint, and past a few million rows each
 * insert also costs a page read: the agent wrote 37x the log bytes it took in (issue 14). Here
 * each commit's IDs are one run, sorted in memory and appended at the end of a WITHOUT ROWID
 * table keyed (run, kind, key, record): the pages it writes are new ones, written once. When
 * FANOUT runs of one size class exist they are merged into one, a bounded step at a time inside
 * later commits (so the records, the checkpoint and their IDs stay one commit, and no commit
 * carries a whole merge); runs of RUN_CAP entries or more are never merged again, so the work
 * per ID is bounded and the live intake's cost does not grow with the index. A lookup probes
 * every run (one B-tree search each: ~30-40 runs at 10M rows). Retention drops whole runs older than every record left;
 * the entries of a run that is only partly expired point at deleted rows and are filtered out
 * by the join every reader does (`record` must exist and carry the same ID).
 */
import type Database from './sqlite.js';

export const ID_KIND = { request: 0, trace: 1 } as const;

/** ID entries as columns (a commit's run, prepare.ts): kind, key and record of entry i. */
export interface IdColumns {
  kinds: Uint8Array;
  keys: string[];
  records: BigInt64Array;
}

export interface IdEntry {
  kind: number;
  key: string;
  record: bigint;
}

/** Entries a run may have before it stops being merged (bounds one merge's work). */
export const RUN_CAP = 256_000;
/**
 * Runs of a size class merged into one. Each merge copies every entry it holds once and deletes
 * it once, so the number of merges on the way to the cap is the work per ID: with commits of
 * ~1,000 entries 8 made three (1,000 -> 8,000 -> 64,000 -> 512,000), 16 makes two (-> 16,000 ->
 * 256,000); below ~1,000 entries a commit (quiet traffic) it is three with 16 too. The ID runs'
 * share of a 200k-line commit profile fell from 3.6 s to 1.9 s. A lookup probes up to 15 runs per
 * class more: still one B-tree search each.
 */
export const FANOUT = 16;
/** Size class of a run: FANOUT runs of one class make one of the next (400, 6,400, 102,400, ...). */
export function sizeClass(entries: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, entries / 400)) / Math.log(FANOUT)));
}

const ROWS_PER_INSERT = 100;

export function compareEntries(a: IdEntry, b: IdEntry): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.record < b.record ? -1 : a.record > b.record ? 1 : 0;
}

/**
 * Which runs to merge now, given the readable runs in run order: the oldest FANOUT of the first
 * size class below the cap that has FANOUT of them and no merge in progress (undefined: none).
 */
export function pickMerge(
  runs: readonly { run: number; entries: number }[],
  busyClasses: ReadonlySet<number> = new Set(),
): number[] | undefined {
  const byClass = new Map<number, number[]>();
  for (const r of runs) {
    if (r.entries >= RUN_CAP) continue;
    const c = sizeClass(r.entries);
    if (busyClasses.has(c)) continue;
    const list = byClass.get(c) ?? [];
    list.push(r.run);
    byClass.set(c, list);
    if (list.length >= FANOUT) return list;
  }
  return undefined;
}

interface Merge {
  target: number;
  sources: number[];
  cursor: [number, string, bigint];
  sizeClass: number;
}

/**
 * The run store on one connection: statements prepared once. Call `add` inside the commit's
 * transaction. Merges advance a bounded step at a time within commits (a budget proportional to
 * the entries just added), never as one long transaction: the merged run is built while its
 * sources stay readable, and becomes readable itself, with its sources retired, in one step.
 * Retired runs' entries are then deleted a chunk at a time the same way.
 */
export class IdRuns {
  private readonly st;

  constructor(private readonly db: Database.Database) {
    this.st = {
      newRun: db.prepare(`INSERT INTO id_runs (entries, min_time, max_time, state) VALUES (?, ?, ?, ?)`),
      insertOne: db.prepare(`INSERT INTO ids (run, kind, key, record) VALUES (?, ?, ?, ?)`),
      insertMany: db.prepare(
        `INSERT INTO ids (run, kind, key, record) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?)').join(', ')}`,
      ),
      mergeable: db.prepare(
        `SELECT run, entries FROM id_runs WHERE state = ${RUN_STATE.readable} AND entries < ${RUN_CAP} ORDER BY run`,
      ),
      merges: db
        .prepare(
          `SELECT m.target, m.sources, m.kind, m.key, m.record, r.entries FROM id_merge m JOIN id_runs r ON r.run = m.target ORDER BY r.entries, m.target`,
        )
        .safeIntegers(),
      startMerge: db.prepare(`INSERT INTO id_merge (target, sources, kind, key, record) VALUES (?, ?, -1, '', 0)`),
      moveCursor: db.prepare(`UPDATE id_merge SET kind = ?, key = ?, record = ? WHERE target = ?`),
      endMerge: db.prepare(`DELETE FROM id_merge WHERE target = ?`),
      nth: db
        .prepare(
          `SELECT kind, key, record FROM ids WHERE run = ? AND (kind, key, record) > (?, ?, ?) ORDER BY kind, key, record LIMIT 1 OFFSET ?`,
        )
        .safeIntegers(),
      retired: db.prepare(`SELECT run FROM id_runs WHERE state = ${RUN_STATE.retired} ORDER BY run LIMIT 1`).pluck(),
      // A range of the run's first entries, bounded by its step-th entry (fetched first: a row
      // value compared with a subquery bounded only `kind`, so every step scanned the rest of the run).
      stepBound: db
        .prepare(`SELECT kind, key, record FROM ids WHERE run = ? ORDER BY kind, key, record LIMIT 1 OFFSET ?`)
        .safeIntegers(),
      deleteKindsBelow: db.prepare(`DELETE FROM ids WHERE run = ? AND kind < ?`),
      deleteUpTo: db.prepare(`DELETE FROM ids WHERE run = ? AND kind = ? AND (key, record) <= (?, ?)`),
      deleteRun: db.prepare(`DELETE FROM ids WHERE run = ?`),
      forgetRun: db.prepare(`DELETE FROM id_runs WHERE run = ?`),
    };
  }

  /**
   * Appends one run (the entries of one commit, sorted by compareEntries before the transaction:
   * prepare.ts; so the inserts append to the run's pages), then does a share of the pending merge work.
   */
  add(entries: IdColumns, minTime: number, maxTime: number): void {
    const { kinds, keys, records } = entries;
    const n = kinds.length;
    if (n === 0) return;
    const run = Number(this.st.newRun.run(n, minTime, maxTime, RUN_STATE.readable).lastInsertRowid);
    const args: unknown[] = [];
    let i = 0;
    for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
      args.length = 0;
      for (let k = i; k < i + ROWS_PER_INSERT; k++) args.push(run, kinds[k], keys[k], records[k]);
      this.st.insertMany.run(args);
    }
    for (; i < n; i++) this.st.insertOne.run(run, kinds[i], keys[i], records[i]);
    // Each entry is copied about twice (2 size classes below the cap) and deleted as often:
    // 8 units of work per entry added keeps the merges well ahead of the intake.
    this.work(MERGE_WORK_PER_ENTRY * n + 1000);
  }

  /**
   * Up to `budget` entries of merge work: deletes of retired runs first, then the active merge,
   * then a new one. Returns the work done (0: nothing pending).
   */
  work(budget: number): number {
    let done = 0;
    while (done < budget) {
      const left = budget - done;
      const retired = this.st.retired.get() as number | undefined;
      if (retired !== undefined) {
        // A step at a time; fewer than a step left: the run's last entries went, and so does the run.
        const step = Math.min(left, 20_000);
        const n = this.deleteFirst(retired, step);
        if (n < step) this.st.forgetRun.run(retired);
        done += Math.max(1, n);
        continue;
      }
      // One merge per size class at a time; the smallest goes first (small ones finish within a
      // commit or two, so a large one in progress does not let small runs pile up).
      const active = this.activeMerges();
      const merging = new Set(active.flatMap((m) => m.sources));
      const pick = pickMerge(
        (this.st.mergeable.all() as { run: number; entries: number }[]).filter((r) => !merging.has(r.run)),
        new Set(active.map((m) => m.sizeClass)),
      );
      if (pick !== undefined) {
        this.startMerge(pick);
        continue;
      }
      const m = active[0];
      if (m === undefined) return done;
      done += this.mergeStep(m, Math.max(100, Math.min(left, 50_000)));
    }
    return done;
  }

  /** Deletes the first `step` entries of a retired run (fewer if it has fewer); returns how many went. */
  private deleteFirst(run: number, step: number): number {
    const b = this.st.stepBound.get(run, step - 1) as { kind: bigint; key: string; record: bigint } | undefined;
    if (b === undefined) return this.st.deleteRun.run(run).changes;
    return (
      this.st.deleteKindsBelow.run(run, b.kind).changes + this.st.deleteUpTo.run(run, b.kind, b.key, b.record).changes
    );
  }

  /** The merges in progress, smallest first. */
  private activeMerges(): Merge[] {
    const rows = this.st.merges.all() as {
      target: bigint;
      sources: string;
      kind: bigint;
      key: string;
      record: bigint;
      entries: bigint;
    }[];
    // A merge's class is that of its sources: the target's entries are theirs summed.
    return rows.map((row) => ({
      target: Number(row.target),
      sources: JSON.parse(row.sources) as number[],
      cursor: [Number(row.kind), row.key, row.record],
      sizeClass: sizeClass(Number(row.entries) / FANOUT),
    }));
  }

  private startMerge(sources: number[]): void {
    const list = sources.map((r) => Math.trunc(r)).join(', ');
    const agg = this.db
      .prepare(`SELECT sum(entries) AS n, min(min_time) AS lo, max(max_time) AS hi FROM id_runs WHERE run IN (${list})`)
      .get() as { n: number; lo: number | null; hi: number | null };
    const target = Number(this.st.newRun.run(agg.n, agg.lo, agg.hi, RUN_STATE.building).lastInsertRowid);
    this.st.startMerge.run(target, JSON.stringify(sources));
  }

  /**
   * Copies the next `step` or so entries of the sources, in key order, into the target: the
   * range after the cursor up to the smallest of each source's step-th next entry (so no source
   * gives more than `step`). When no source has that many left, the rest is copied and the
   * target replaces its sources.
   */
  private mergeStep(m: Merge, budget: number): number {
    const step = Math.max(1, Math.floor(budget / m.sources.length));
    const [ck, ckey, crec] = m.cursor;
    let bound: [bigint, string, bigint] | undefined;
    for (const run of m.sources) {
      const e = this.st.nth.get(run, ck, ckey, crec, step - 1) as
        | { kind: bigint; key: string; record: bigint }
        | undefined;
      if (
        e &&
        (bound === undefined ||
          compareEntries(
            { kind: Number(e.kind), key: e.key, record: e.record },
            { kind: Number(bound[0]), key: bound[1], record: bound[2] },
          ) < 0)
      ) {
        bound = [e.kind, e.key, e.record];
      }
    }
    const list = m.sources.map((r) => Math.trunc(r)).join(', ');
    if (bound === undefined) {
      const n = this.db
        .prepare(`INSERT INTO ids (run, kind, key, record) SELECT ?, kind, key, record FROM ids
        WHERE run IN (${list}) AND (kind, key, record) > (?, ?, ?) ORDER BY kind, key, record`)
        .run(m.target, ck, ckey, crec).changes;
      this.db.prepare(`UPDATE id_runs SET state = ${RUN_STATE.retired} WHERE run IN (${list})`).run();
      this.db.prepare(`UPDATE id_runs SET state = ${RUN_STATE.readable} WHERE run = ?`).run(m.target);
      this.st.endMerge.run(m.target);
      return n + 1;
    }
    const n = this.db
      .prepare(`INSERT INTO ids (run, kind, key, record) SELECT ?, kind, key, record FROM ids
      WHERE run IN (${list}) AND (kind, key, record) > (?, ?, ?) AND (kind, key, record) <= (?, ?, ?) ORDER BY kind, key, record`)
      .run(m.target, ck, ckey, crec, bound[0], bound[1], bound[2]).changes;
    this.st.moveCursor.run(bound[0], bound[1], bound[2], m.target);
    return n + 1;
  }
}

/** Units of merge work a commit does per ID entry it adds. */
export const MERGE_WORK_PER_ENTRY = 8;

export const RUN_STATE = { readable: 0, building: 1, retired: 2 } as const;

/**
 * Retires the readable runs whose newest record is older than `before` (every record they point
 * at is gone) and that no merge is reading; their entries are deleted by `IdRuns.work`.
 */
export function retireRunsBefore(db: Database.Database, before: number): number {
  return db
    .prepare(`UPDATE id_runs SET state = ${RUN_STATE.retired} WHERE state = ${RUN_STATE.readable} AND max_time < ?
    AND NOT EXISTS (SELECT 1 FROM id_merge m, json_each(m.sources) s WHERE s.value = id_runs.run)`)
    .run(before).changes;
}

/** The SQL of the readable runs, for readers' `run IN (...)`. */
export const READABLE_RUNS = `SELECT run FROM id_runs WHERE state = ${RUN_STATE.readable}`;
