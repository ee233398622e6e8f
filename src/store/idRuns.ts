/**
 * The request-ID, trace-ID and connection index as sorted runs (LSM-style) of packed pages
 * (schema 7; runs since schema 4, pages since 7: idPages.ts).
 *
 * Why: a B-tree on a random key (request IDs are random) makes every commit rewrite each leaf
 * page an ID lands on, to the WAL and again at the checkpoint, and past a few million rows each
 * insert also costs a page read: the agent wrote 37x the log bytes it took in (issue 14). Here
 * each commit's entries are one run, sorted in memory and packed into pages of ~80 entries, each
 * page one row keyed (run, kind, its last entry): the rows it writes are new ones, written once.
 * When FANOUT runs of one size class exist they are merged into one, a bounded step at a time
 * inside later commits (so the records, the checkpoint and their IDs stay one commit, and no
 * commit carries a whole merge), in memory, page bytes to page bytes; runs of RUN_CAP entries or
 * more are never merged again, so the work per entry is bounded and the live intake's cost does
 * not grow with the index. A lookup reads, in every run, the pages from the first whose last
 * entry is not below the key. Retention drops whole runs older than every line left; the
 * entries of a run that is only partly expired point at deleted lines and are filtered out by
 * every reader (the row must exist and carry the ID, or the line be in a stored block and parse to it).
 */
import { compareBytes, compareRecords, forEachEntry, type IdPage, PageWriter, readRecord } from './idPages.js';
import type Database from './sqlite.js';
import type { Statements } from './statements.js';

/** Kinds of entries: a request ID (cut at 256 characters), a trace ID, a plain nginx line's connection. */
export const ID_KIND = { request: 0, trace: 1, conn: 2 } as const;

/** Entries a run may have before it stops being merged (bounds one merge's work). */
export const RUN_CAP = 256_000;
/**
 * Runs of a size class merged into one. Each merge copies every entry it holds once, so the
 * number of merges on the way to the cap is the work per entry: with commits of ~1,000 entries 16
 * makes two (-> 16,000 -> 256,000); below ~1,000 entries a commit (quiet traffic) three. A lookup
 * reads up to 15 runs per class more: a page each, all runs' first pages in one statement.
 */
export const FANOUT = 16;
/** Size class of a run: FANOUT runs of one class make one of the next (400, 6,400, 102,400, ...). */
export function sizeClass(entries: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, entries / 400)) / Math.log(FANOUT)));
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

/** A merge's cursor: the last entry copied (kind -1: none yet). */
type Cursor = [kind: number, key: Uint8Array, record: bigint];

interface Merge {
  target: number;
  sources: number[];
  cursor: Cursor;
  sizeClass: number;
}

interface PageRow {
  kind: number;
  last_key: Uint8Array;
  last_record: bigint;
  data: Uint8Array;
}

/** Reads the entries of a source's loaded pages in order: the fields are the current entry's. */
class PageReader {
  kind = 0;
  data: Uint8Array = new Uint8Array(0);
  at = 0;
  keyAt = 0;
  keyLen = 0;
  /** The key's first 4 bytes as an unsigned number (0-padded): most comparisons end there. */
  head = 0;
  len = 0;
  done = false;
  private page = -1;

  /** `pages`: its slots are cleared as they are read, so a long merge step keeps only the pages ahead. */
  constructor(private readonly pages: (PageRow | undefined)[]) {
    this.nextPage();
  }

  /** Moves to the next entry; false when there is none. */
  next(): boolean {
    this.at += this.len;
    if (this.at < this.data.length) this.read();
    else this.nextPage();
    return !this.done;
  }

  private nextPage(): void {
    if (this.page >= 0) this.pages[this.page] = undefined;
    const p = this.pages[++this.page];
    if (p === undefined || p.data.length === 0) {
      this.done = true;
      return;
    }
    this.kind = Number(p.kind);
    this.data = p.data;
    this.at = 0;
    this.read();
  }

  private read(): void {
    const d = this.data;
    this.keyLen = d[this.at]! | (d[this.at + 1]! << 8);
    this.keyAt = this.at + 2;
    this.len = 2 + this.keyLen + 8;
    this.head = keyHead(d, this.keyAt, this.keyLen);
  }
}

/**
 * The first 4 bytes of a key as an unsigned number, 0 where it is shorter. Two keys with different
 * heads compare as their heads do (0 is the smallest byte, and a shorter key sorts first); equal
 * heads say nothing.
 */
function keyHead(d: Uint8Array, at: number, len: number): number {
  return (
    (((len > 0 ? d[at]! : 0) << 24) |
      ((len > 1 ? d[at + 1]! : 0) << 16) |
      ((len > 2 ? d[at + 2]! : 0) << 8) |
      (len > 3 ? d[at + 3]! : 0)) >>>
    0
  );
}

function compareRefs(a: PageReader, b: PageReader): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.head !== b.head) return a.head < b.head ? -1 : 1;
  return (
    compareBytes(a.data, a.keyAt, a.keyLen, b.data, b.keyAt, b.keyLen) ||
    compareRecords(a.data, a.keyAt + a.keyLen, b.data, b.keyAt + b.keyLen)
  );
}

/** Restores the heap order (smallest entry first) below position i. */
function siftDown(heap: PageReader[], i: number): void {
  const n = heap.length;
  const x = heap[i]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && compareRefs(heap[c + 1]!, heap[c]!) < 0) c++;
    if (compareRefs(heap[c]!, x) >= 0) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = x;
}

/** An entry against a (kind, key, record) point. */
function compareToPoint(e: PageReader, p: Cursor): number {
  if (e.kind !== p[0]) return e.kind - p[0];
  const c = compareBytes(e.data, e.keyAt, e.keyLen, p[1], 0, p[1].length);
  if (c !== 0) return c;
  const r = readRecord(e.data, e.keyAt + e.keyLen);
  return r < p[2] ? -1 : r > p[2] ? 1 : 0;
}

function comparePoints(a: Cursor, b: Cursor): number {
  return (
    a[0] - b[0] || compareBytes(a[1], 0, a[1].length, b[1], 0, b[1].length) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)
  );
}

/** Units of work a retired run's page costs to delete (about its entries). */
const PAGE_WORK = 64;

/**
 * The run store on one connection: statements prepared once. Call `add` inside the commit's
 * transaction. Merges advance a bounded step at a time within commits (a budget proportional to
 * the entries just added), never as one long transaction: the merged run is built while its
 * sources stay readable, and becomes readable itself, with its sources retired, in one step.
 * Retired runs' pages are then deleted a bounded number at a time the same way.
 */
export class IdRuns {
  private readonly st;

  constructor(private readonly db: Database.Database) {
    this.st = {
      newRun: db.prepare(`INSERT INTO id_runs (entries, min_time, max_time, state) VALUES (?, ?, ?, ?)`),
      insertPage: db.prepare(
        `INSERT INTO id_pages (run, kind, last_key, last_record, n, data) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      mergeable: db.prepare(
        `SELECT run, entries FROM id_runs WHERE state = ${RUN_STATE.readable} AND entries < ${RUN_CAP} ORDER BY run`,
      ),
      merges: db
        .prepare(
          `SELECT m.target, m.sources, m.kind, m.key, m.record, r.entries FROM id_merge m JOIN id_runs r ON r.run = m.target ORDER BY r.entries, m.target`,
        )
        .safeIntegers(),
      startMerge: db.prepare(`INSERT INTO id_merge (target, sources, kind, key, record) VALUES (?, ?, -1, x'', 0)`),
      moveCursor: db.prepare(`UPDATE id_merge SET kind = ?, key = ?, record = ? WHERE target = ?`),
      endMerge: db.prepare(`DELETE FROM id_merge WHERE target = ?`),
      // The pages of a run past a point, in order: the first holds the entries right after it.
      pagesAfter: db
        .prepare(
          `SELECT kind, last_key, last_record, data FROM id_pages WHERE run = ? AND (kind, last_key, last_record) > (?, ?, ?)
          ORDER BY kind, last_key, last_record LIMIT ?`,
        )
        .safeIntegers(),
      retired: db.prepare(`SELECT run FROM id_runs WHERE state = ${RUN_STATE.retired} ORDER BY run LIMIT 1`).pluck(),
      deletePages: db.prepare(`DELETE FROM id_pages WHERE rowid IN (SELECT rowid FROM id_pages WHERE run = ? LIMIT ?)`),
      forgetRun: db.prepare(`DELETE FROM id_runs WHERE run = ?`),
    };
  }

  /**
   * Appends one run (a commit's entries, packed in order into pages before the transaction:
   * prepare.ts), then does a share of the pending merge work.
   */
  add(pages: readonly IdPage[], minTime: number, maxTime: number): void {
    if (pages.length === 0) return;
    let n = 0;
    for (const p of pages) n += p.n;
    const run = Number(this.st.newRun.run(n, minTime, maxTime, RUN_STATE.readable).lastInsertRowid);
    this.insertPages(run, pages);
    // Each entry is copied about twice on its way to the cap (2 size classes) and its page
    // deleted as often: 8 units of work per entry added keeps the merges well ahead of the intake.
    this.work(MERGE_WORK_PER_ENTRY * n + 1000);
  }

  private insertPages(run: number, pages: readonly IdPage[]): void {
    for (const p of pages) this.insertPage(run, p);
  }

  private insertPage(run: number, p: IdPage): void {
    this.st.insertPage.run(run, p.kind, p.lastKey, p.lastRecord, p.n, p.data);
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
        // A bounded number of pages at a time; fewer than asked: the run's last pages went, and so does the run.
        const step = Math.max(1, Math.min(Math.ceil(left / PAGE_WORK), 500));
        const n = this.st.deletePages.run(retired, step).changes;
        if (n < step) this.st.forgetRun.run(retired);
        done += Math.max(1, n * PAGE_WORK);
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

  /** The merges in progress, smallest first. */
  private activeMerges(): Merge[] {
    const rows = this.st.merges.all() as {
      target: bigint;
      sources: string;
      kind: bigint;
      key: Uint8Array;
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
   * Copies the next `budget` or so entries of the sources, in order, into the target: each
   * source's next pages (a share of the budget), up to the smallest of the last entries of the
   * sources that have more pages after them (so no source's later entries are missed). When no
   * source has more, the rest is copied and the target replaces its sources.
   */
  private mergeStep(m: Merge, budget: number): number {
    const perSource = Math.max(1, Math.ceil(budget / m.sources.length / 80));
    const [ck, ckey, crec] = m.cursor;
    let bound: Cursor | undefined;
    const readers: PageReader[] = [];
    for (const run of m.sources) {
      const pages = this.st.pagesAfter.all(run, ck, ckey, crec, perSource) as PageRow[];
      if (pages.length === perSource) {
        const last = pages[pages.length - 1]!;
        const p: Cursor = [Number(last.kind), last.last_key, last.last_record];
        if (bound === undefined || comparePoints(p, bound) < 0) bound = p;
      }
      const r = new PageReader(pages);
      // The first page may begin with entries copied already.
      while (!r.done && compareToPoint(r, m.cursor) <= 0) r.next();
      if (!r.done) readers.push(r);
    }
    // Each page inserted as it is closed, from the writer's one buffer.
    const w = new PageWriter((p) => this.insertPage(m.target, p));
    let copied = 0;
    // A k-way merge of the sources' entries in order (a heap of the readers by their entry).
    const heap = readers;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);
    // The bound's kind and head: an entry below them is within it without comparing bytes.
    const bk = bound?.[0] ?? Infinity;
    const bh = bound === undefined ? 0 : keyHead(bound[1], 0, bound[1].length);
    while (heap.length > 0) {
      const r = heap[0]!;
      if (r.kind > bk || (r.kind === bk && r.head >= bh && compareToPoint(r, bound!) > 0)) break;
      w.push(r.kind, r.data, r.at, r.len);
      copied++;
      if (!r.next()) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length > 0) siftDown(heap, 0);
    }
    w.finish();
    if (bound === undefined) {
      const list = m.sources.map((r) => Math.trunc(r)).join(', ');
      this.db.prepare(`UPDATE id_runs SET state = ${RUN_STATE.retired} WHERE run IN (${list})`).run();
      this.db.prepare(`UPDATE id_runs SET state = ${RUN_STATE.readable} WHERE run = ?`).run(m.target);
      this.st.endMerge.run(m.target);
      return copied + 1;
    }
    this.st.moveCursor.run(bound[0], bound[1], bound[2], m.target);
    return copied + 1;
  }
}

/** What a scan's visitor says after an entry: go on, go to the next run, or stop. */
export const SCAN = { more: 0, nextRun: 1, stop: 2 } as const;

/**
 * Visits the entries with lo <= key < hi of one kind, run by run (readable runs), each run's in
 * order. `key` is a view of the page's bytes, valid during the call.
 */
export function visitIds(
  st: Statements,
  kind: number,
  lo: Uint8Array,
  hi: Uint8Array,
  visit: (key: Uint8Array, record: bigint, run: number) => number,
): void {
  // Each readable run's first page that can hold the range, in one statement (a statement a run
  // cost ~14 us each in calls alone: 35 runs at 10M entries); the pages after it only where the
  // range goes on past it.
  const firstPages = st
    .get(
      `SELECT r.run, p.last_key, p.last_record, p.data FROM id_runs r JOIN id_pages p ON p.rowid = (
        SELECT rowid FROM id_pages WHERE run = r.run AND kind = ? AND last_key >= ? ORDER BY last_key, last_record LIMIT 1)
      WHERE r.state = ${RUN_STATE.readable} ORDER BY r.run`,
    )
    .safeIntegers();
  const nextPages = st
    .get(
      `SELECT last_key, last_record, data FROM id_pages WHERE run = ? AND kind = ? AND (last_key, last_record) > (?, ?)
      ORDER BY last_key, last_record`,
    )
    .safeIntegers();
  type Page = { last_key: Uint8Array; last_record: bigint; data: Uint8Array };
  /** Visits a page's entries in the range; true if the run may have more of them after it. */
  const scan = (p: Page, run: number): number => {
    const data = p.data;
    let said: number = SCAN.more;
    forEachEntry(data, (_at, keyAt, keyLen) => {
      if (compareBytes(data, keyAt, keyLen, lo, 0, lo.length) < 0) return true;
      if (compareBytes(data, keyAt, keyLen, hi, 0, hi.length) >= 0) {
        said = SCAN.nextRun;
        return false;
      }
      said = visit(data.subarray(keyAt, keyAt + keyLen), readRecord(data, keyAt + keyLen), run);
      return said === SCAN.more;
    });
    // Its last entry past the range: the later pages of this run hold nothing of it.
    if (said === SCAN.more && compareBytes(p.last_key, 0, p.last_key.length, hi, 0, hi.length) >= 0)
      return SCAN.nextRun;
    return said;
  };
  // One read transaction: a writer's commit between two statements (a merge finished, its
  // sources' pages deleted) would otherwise hide the rest of a run's range from this reader.
  st.snapshot(() => {
    for (const first of firstPages.all(kind, lo) as (Page & { run: bigint })[]) {
      const run = Number(first.run);
      let said = scan(first, run);
      if (said === SCAN.more) {
        for (const p of nextPages.iterate(run, kind, first.last_key, first.last_record) as Iterable<Page>) {
          said = scan(p, run);
          if (said !== SCAN.more) break;
        }
      }
      if (said === SCAN.stop) return;
    }
  });
}

/** The lines the entries with lo <= key < hi of one kind point at, at most `limit`. */
export function scanIds(st: Statements, kind: number, lo: Uint8Array, hi: Uint8Array, limit: number): bigint[] {
  const out: bigint[] = [];
  if (limit <= 0) return out;
  visitIds(st, kind, lo, hi, (_key, record) => {
    out.push(record);
    return out.length >= limit ? SCAN.stop : SCAN.more;
  });
  return out;
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
