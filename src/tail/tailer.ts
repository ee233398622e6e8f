/**
 * Follows live log files into the index. Every read is `intakeFile` from the file's checkpoint, so
 * the tailer only decides when to read:
 *
 * - chokidar, polling, finds the files the paths and globs match (new ones, removed ones); each
 *   folder that holds a followed file (or a followed symlink's target) has one `fs.watch`, whose
 *   events for a followed name ask for a read of it at once: a write, a rename away, a file
 *   created under the name after a rotation; a 1 s poll of every followed file is the safety
 *   net. (chokidar's own `fs.watch` mode also watches the folders, but on every event reads the
 *   whole folder again, a `readdir` and an `lstat` of every entry, and `stat`s the file: with 30
 *   rotated files beside a log written 100 times a second, a quarter of a core for watching.)
 * - a change event or a poll tick schedules a read of that file; reads of one file never overlap
 *   and requests during a read coalesce into one more read;
 * - rotation by rename (nginx + USR1, logrotate `create`, Caddy's roll): the path now holds a
 *   new inode; the old inode is looked for in the same folder under its new name and read to its
 *   end, and kept in view for a while because the writer may still append to it until it reopens;
 * - copytruncate and recycled inodes are told apart by the head fingerprint (intakeFile);
 * - a file briefly missing is simply not read until it is back;
 * - only on the very first start on an empty index (the index remembers that it happened), files
 *   there are taken from their end unless `backfill` is set; any file the index does not know on
 *   a later start, a SIGHUP, or while running is read from its start;
 * - the first read of a path in a tailer (a start, a SIGHUP) looks for the content last read at
 *   that path under another name in its folder (`access.log.1`, `access.log-20261126`, a `.gz`
 *   of it, by inode or head) and reads its tail: what was written before a rotation that
 *   happened while stopped is not lost, for a single path either. So does a copytruncate.
 */

import { type FSWatcher as FolderWatch, watch as watchFolder } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';
import type { LogRecord, ParserOptions } from '../../parsers/index.js';
import { identify } from '../intake/fileIdentity.js';
import { type IntakeGap, type IntakeOptions, type IntakeResult, intakeFile } from '../intake/intakeFile.js';
import type { RecordIndex } from '../store/recordIndex.js';

export interface TailSource extends ParserOptions {
  /** A path or a glob (`/var/log/nginx/access.log*`, `/tmp/openclaw/openclaw-*.log`). */
  path: string;
  format?: string;
  region?: string;
  /**
   * Read a matched file that is a symlink to a file outside the configured folders (default:
   * not: a "log" linked to /etc/shadow would be copied into the index and its samples).
   */
  followSymlinks?: boolean;
  /**
   * Where rotated files of this path go when not beside it (logrotate's `olddir`; relative to the
   * path's folder, as logrotate takes it): the search for what was rotated away looks there too.
   */
  rotatedDir?: string;
}

export interface TailerOptions {
  sources: TailSource[];
  /** On the first start on an empty index, read the files there from their start (default: from their end; later starts never skip). */
  backfill?: boolean;
  /**
   * Safety-net poll of every followed file, ms (default 1000); also how often chokidar looks at
   * the folders for files that appeared or went.
   */
  pollMs?: number;
  /** How long a rotated-away inode is still read, ms (default 60 s). */
  drainMs?: number;
  /**
   * A followed path missing this long, ms, is no longer followed (default FORGET_MISSING_MS):
   * without it each deleted file of a glob cost a stat per poll, and its folder's watch, for good.
   */
  forgetMissingMs?: number;
  maxLineBytes?: number;
  /**
   * A followed file is read at most once per this many ms (default READ_EVERY_MS): the change
   * events of a busy file (one per write) coalesce into one read and one commit.
   */
  readEveryMs?: number;
  /**
   * Lines per commit (default 1,000: one commit per read up to 6,600 lines/s). Small, so one
   * commit never holds the event loop long: the agent's API answers in between (5,000 per commit
   * stalled it ~30 ms).
   */
  batchLines?: number;
  onCommit?: (records: LogRecord[]) => void;
  onRead?: (r: IntakeResult) => void;
  onError?: (file: string, e: Error) => void;
  /**
   * A copytruncate was seen: lines written between the copy and the truncate are in neither
   * file. `unreadBytes`: bytes of the old content this tailer saw at its last read and had not
   * read yet (what its copy must hold; 0 when it was caught up).
   */
  onGap?: (g: IntakeGap & { file: string; unreadBytes: number }) => void;
  /** Said once when more files than `manyFiles` (default 2,000) are followed: each costs a watch and a stat per poll. */
  onManyFiles?: (n: number) => void;
  manyFiles?: number;
  /** Test hook, passed to each intake (called between identifying a file and reading it). */
  afterIdentify?: IntakeOptions['afterIdentify'];
}

/**
 * Each commit has a fixed cost whatever it holds (the pages every commit rewrites, the
 * transaction; the stat, open and head read of a read): a busy file read on every change event
 * (one per write) committed ~20 times a second. Reads at most every 150 ms: bench:agent at 5,000
 * lines/s, CPU 27-28% -> ~21% of a core; write to queryable (bench:ingest) p99 ~60 -> ~170 ms
 * (target 300 ms; 250 ms made it ~270 ms).
 */
export const READ_EVERY_MS = 150;

/**
 * A followed path found missing stays followed this long, so that the file made again under its
 * name is read on its event with what was known of the one before (a rename away is followed up
 * at once: the renamed inode is drained on its own). Later, what appears under the name is found
 * by chokidar's poll like any new file, and resumed at its checkpoint if it is one the index knows.
 */
export const FORGET_MISSING_MS = 10 * 60_000;

/**
 * `<stem>-<date or number>...`: a rotated name that keeps the extension at the end (logrotate's
 * `dateext` with `extension`, `app-20261127.log`; Caddy's `access-2026-11-27T10-00-00.000.log`),
 * not another log that shares the stem (`app-debug.log` beside `app.log`, which a search for what
 * a rotation took away read whole into the index).
 */
export function rotatedUnderStem(name: string, stem: string): boolean {
  return name.startsWith(`${stem}-`) && /^\d/.test(name.slice(stem.length + 1));
}

/** meta key: set once a tailer has finished its first start on this index. */
export const FOLLOW_STARTED_KEY = 'follow_started';

interface Followed {
  source: TailSource;
  reading: boolean;
  again: boolean;
  dev: number | null;
  ino: number | null;
  /** Size at the last read. */
  size: number;
  /** For a rotated-away inode: read it until then. */
  drainUntil?: number;
  /** A rotated-away file: read only if the index knows its content (never an unrelated file). */
  knownOnly?: boolean;
  /** Read at least once by this tailer (the first read looks for what was rotated away before). */
  seen: boolean;
  /** Said that it is a symlink leading outside (once). */
  symlinkSaid?: boolean;
  /** Since when it is missing (Date.now()), while it is: a rename away is followed up once, when it is found so. */
  missingSince?: number;
  /** A watcher event asked for this read (not only the poll). */
  event?: boolean;
  /** When the last intake of it began (Date.now()): the next one waits until `readEveryMs` after it. */
  readStart?: number;
  /** The stat taken before the last read: the poll reads again only when it moved. */
  lastStat?: { ino: number; size: number; mtimeMs: number };
  /** For a drained file: the followed path it was rotated away from. */
  origin?: string;
  /** The index row last read from it. */
  fileId?: number;
  /** Has been read (or found missing) once since it is followed. */
  readOnce: boolean;
  /**
   * When the last read that found the current inode (and head) at the path began: whatever held
   * the name after that was created later, so a search for it needs only files written since.
   */
  readAt?: number;
  /**
   * For a file found by a search: what was found there (its inode and mtime). If another file
   * holds the name when it is read (the next rotation came first), that one is looked for again.
   */
  expect?: { dev: number; ino: number; mtimeMs: number };
}

/**
 * File times come from the kernel's coarse clock (a tick behind `Date.now()`), and some file
 * systems keep whole seconds: a file is "written since" a moment if its mtime is at most this
 * much before it. Reading too much costs nothing (known content is read from its checkpoint).
 */
const MTIME_SLACK_MS = 2000;

const followed = (source: TailSource, more: Partial<Followed> = {}): Followed => ({
  source,
  reading: false,
  again: false,
  dev: null,
  ino: null,
  size: 0,
  seen: false,
  readOnce: false,
  ...more,
});

export class Tailer {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly files = new Map<string, Followed>();
  private readonly matchers: { source: TailSource; isMatch: (p: string) => boolean }[];
  private ready = false;
  private saidMany = false;
  /** The configured folders, symlinks resolved: where a symlinked source may point. */
  private realDirs: string[] = [];
  private stopped = false;
  /** Files found at the start are positioned at their end (the first start on an empty index). */
  private startAtEnd = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** One change watch per folder holding a followed file's content (watchFolderOf). */
  private readonly folders = new Map<string, { watch: FolderWatch; dev: number; ino: number }>();
  /** A followed path -> where its content lives (itself, or a symlink's target). */
  private readonly contentOf = new Map<string, string>();
  /** contentOf inverted, kept beside it so that a folder event finds its followed paths at once. */
  private readonly watchedAs = new Map<string, Set<string>>();
  /** A watch could not be made (inotify's limit, no descriptors): said once; the poll reads those files. */
  private watchFailSaid = false;

  constructor(
    private readonly index: RecordIndex,
    private readonly opts: TailerOptions,
  ) {
    this.matchers = opts.sources.map((source) => ({ source, isMatch: picomatch(path.resolve(source.path)) }));
  }

  private sourceOf(file: string): TailSource | undefined {
    return this.matchers.find((m) => m.isMatch(file))?.source;
  }

  /** Starts watching; resolves once the existing files have been taken in (or positioned at their end). */
  async start(): Promise<void> {
    const dirs = [...new Set(this.opts.sources.map((s) => picomatch.scan(path.resolve(s.path)).base || '/'))];
    // The configured folders: a glob's base, a single path's folder (not the file, nor what a
    // symlinked path points at: a link re-pointed to the next day's file is still inside).
    const folders = this.opts.sources.map((s) => {
      const scan = picomatch.scan(path.resolve(s.path));
      return scan.isGlob ? scan.base || '/' : path.dirname(path.resolve(s.path));
    });
    this.realDirs = await Promise.all([...new Set(folders)].map((d) => realpath(d).catch(() => d)));
    const pollMs = this.opts.pollMs ?? 1000;
    const watcher = watch(dirs, {
      ignoreInitial: false,
      depth: 4,
      // Polled: on each event of a folder's fs.watch (every write to any file in it) chokidar
      // reads the whole folder again (see the top of this file). Change events come from the
      // tailer's own folder watches (watchFolderOf below).
      usePolling: true,
      interval: pollMs,
      binaryInterval: pollMs,
      ignored: (p: string, stats?: { isFile(): boolean }) => stats?.isFile() === true && this.sourceOf(p) === undefined,
    });
    // Only the very first start on an empty index begins at the end: a restart or a SIGHUP
    // never skips what was written while it was stopped.
    this.startAtEnd =
      !this.opts.backfill && this.index.getMeta(FOLLOW_STARTED_KEY) === undefined && this.index.counts().files === 0;
    this.watcher = watcher;
    watcher.on('add', (p: string) => this.schedule(p));
    watcher.on('change', (p: string) => this.schedule(p));
    watcher.on('unlink', (p: string) => this.schedule(p));
    watcher.on('error', (e: unknown) => this.opts.onError?.('(watcher)', e as Error));
    // chokidar says `ready` only after a first scan of something: with no sources there is none.
    if (dirs.length > 0) await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    // Each file read once, not "no read in flight": a file written without pause is read again
    // and again, and the start would never end (the API would never listen).
    await this.firstReads();
    this.ready = true;
    // With no sources nothing started: a source added later still begins as a first start would.
    if (this.opts.sources.length > 0 && this.index.getMeta(FOLLOW_STARTED_KEY) === undefined)
      this.index.setMeta(FOLLOW_STARTED_KEY, new Date().toISOString());
    // The safety net costs a stat per idle file: a file is opened and read only when its inode,
    // size or mtime moved since its last read (or a watcher event says it changed).
    this.poll = setInterval(() => {
      for (const f of this.files.keys()) this.schedule(f, true);
    }, pollMs);
  }

  private readonly readOnce = new Set<() => void>();
  private markRead(f: Followed): void {
    if (f.readOnce) return;
    f.readOnce = true;
    for (const check of [...this.readOnce]) check();
  }
  private async firstReads(): Promise<void> {
    for (;;) {
      const pending = [...this.files.values()].filter((f) => !f.readOnce);
      if (pending.length === 0) return;
      await new Promise<void>((resolve) => {
        const check = () => {
          if (pending.every((f) => f.readOnce)) {
            this.readOnce.delete(check);
            resolve();
          }
        };
        this.readOnce.add(check);
        check();
      });
    }
  }

  /** Resolves when no read is in flight (tests and shutdown). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    for (const w of this.folders.values()) w.watch.close();
    this.folders.clear();
    await this.watcher?.close();
    await this.settle();
  }

  /** Files followed now (patterns matched, and rotated-away inodes still being drained). */
  followed(): string[] {
    return [...this.files.keys()];
  }

  private schedule(file: string, fromPoll = false): void {
    if (this.stopped) return;
    let f = this.files.get(file);
    if (!f) {
      const source = this.sourceOf(file);
      if (!source) return;
      f = followed(source);
      this.files.set(file, f);
      if (!this.saidMany && this.files.size > (this.opts.manyFiles ?? 2000)) {
        this.saidMany = true;
        this.opts.onManyFiles?.(this.files.size);
      }
    }
    if (!fromPoll) f.event = true;
    if (f.reading) {
      f.again = true;
      return;
    }
    f.reading = true;
    const p: Promise<void> = this.read(file, f).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async read(file: string, f: Followed): Promise<void> {
    try {
      do {
        const wait = (f.readStart ?? 0) + (this.opts.readEveryMs ?? READ_EVERY_MS) - Date.now();
        if (wait > 0) {
          await sleep(wait); // events meanwhile set f.again: read once for all of them
          if (this.stopped) return;
        }
        f.again = false;
        if (f.drainUntil !== undefined && Date.now() > f.drainUntil) {
          this.forget(file);
          return;
        }
        if (!f.seen && f.drainUntil === undefined) {
          f.seen = true;
          await this.findRotatedAway(file);
        }
        const st = await stat(file).catch(() => undefined);
        if (!st?.isFile()) {
          // rotated, deleted, or briefly missing (its folder's watch says when a file is back)
          if (f.drainUntil !== undefined) {
            this.forget(file);
            await this.lookForMoved(f);
            return;
          }
          const justMissing = f.missingSince === undefined;
          f.missingSince ??= Date.now();
          if (justMissing && f.ino !== null && f.dev !== null) {
            // Renamed away and nothing in its place yet (nginx writes on into the renamed file
            // until its USR1 reopen creates the name again): follow the old inode now (only it).
            await this.checkFolder(file);
            await this.drainRotated(file, f.dev, f.ino, this.since(f), false);
          } else if (
            Date.now() - f.missingSince >= (this.opts.forgetMissingMs ?? FORGET_MISSING_MS) &&
            !(await lstat(file).catch(() => undefined)) // a dangling symlink stays: nothing would say when its target is back
          ) {
            this.forget(file); // deleted for good (a glob's old file, a roll_keep): no stat per poll from now on
          }
          return;
        }
        f.missingSince = undefined;
        if (f.expect && f.ino === null && (st.dev !== f.expect.dev || st.ino !== f.expect.ino))
          await this.lookForExpected(f);
        const content = await this.contentPath(file, f);
        if (content === undefined) return;
        const contentBefore = this.contentOf.get(file); // a re-pointed symlink: where the old content is
        await this.watchFolderOf(file, content);
        const event = f.event;
        f.event = false;
        const last = f.lastStat;
        if (!event && last && last.ino === st.ino && last.size === st.size && last.mtimeMs === st.mtimeMs) continue; // a poll, nothing moved
        f.lastStat = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
        const readAt = Date.now();
        f.readStart = readAt;
        const r = await intakeFile(this.index, file, {
          ...f.source,
          position: this.ready || !this.startAtEnd ? 'start' : 'end',
          knownOnly: f.knownOnly,
          maxLineBytes: this.opts.maxLineBytes,
          batchLines: this.opts.batchLines ?? 1000,
          onCommit: this.opts.onCommit,
          afterIdentify: this.opts.afterIdentify,
        });
        this.opts.onRead?.(r);
        if (r.gap) {
          // copytruncate: the old content's copy is looked for (by head) and read to its end.
          const sameFile = f.dev === r.dev && f.ino === r.ino;
          this.opts.onGap?.({ ...r.gap, file, unreadBytes: sameFile ? Math.max(0, f.size - r.gap.offset) : 0 });
          const row = this.index.fileById(r.gap.fileId);
          if (row) await this.findElsewhere(file, [row], this.since(f));
        }
        if (f.ino !== null && f.dev !== null && (r.ino !== f.ino || r.dev !== f.dev)) {
          if (await this.checkFolder(file)) await this.watchFolderOf(file, content); // its folder made anew
          await this.drainRotated(file, f.dev, f.ino, this.since(f), true, contentBefore);
        } else if (
          !r.gap &&
          f.drainUntil === undefined &&
          f.fileId !== undefined &&
          r.fileId !== undefined &&
          r.fileId !== f.fileId
        ) {
          // Other content under the same inode, and no truncate: rotated twice between two reads,
          // and logrotate's `create` gave the new file the inode freed by compressing the one
          // before (the name's inode alternates between two). The old content is looked for by head.
          const row = this.index.fileById(f.fileId);
          if (row) await this.findElsewhere(file, [row], this.since(f));
        }
        f.readAt = readAt;
        f.dev = r.dev;
        f.ino = r.ino;
        f.size = r.size;
        if (r.fileId !== undefined) f.fileId = r.fileId;
        this.markRead(f);
      } while (f.again && !this.stopped);
    } catch (e) {
      f.lastStat = undefined; // the next poll tries again
      this.opts.onError?.(file, e as Error);
    } finally {
      f.reading = false;
      this.markRead(f);
    }
  }

  /**
   * Change events for a followed file: from the watch of the folder its content is in (one per
   * folder), for its name. Kept while the file is missing, so that a file created under the name
   * (a rotation) is read at once.
   */
  private async watchFolderOf(file: string, content: string): Promise<void> {
    const was = this.contentOf.get(file);
    if (was !== content) {
      if (was !== undefined) this.unmap(file, was);
      this.contentOf.set(file, content);
      const as = this.watchedAs.get(content);
      if (as) as.add(file);
      else this.watchedAs.set(content, new Set([file]));
    }
    const dir = path.dirname(content);
    if (this.folders.has(dir) || this.stopped) return;
    const d = await stat(dir).catch(() => undefined);
    if (!d || this.folders.has(dir) || this.stopped) return;
    let w: FolderWatch;
    try {
      w = watchFolder(dir, { persistent: false }, (_event, name) => this.folderEvent(dir, name));
    } catch (e) {
      // ENOENT: the folder went in between; the next read watches again
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !this.watchFailSaid) {
        this.watchFailSaid = true;
        this.opts.onError?.(
          dir,
          new Error(
            `cannot watch this folder for changes (${(e as Error).message}): its files, and those of any other folder that cannot be watched, are read at each poll (every ${this.opts.pollMs ?? 1000} ms) instead`,
          ),
        );
      }
      return;
    }
    // An error ends the watch; the next read of a file there watches again. (A removed folder
    // gives no error on Linux: checkFolder.)
    w.on('error', () => this.unwatchFolder(dir, w));
    this.folders.set(dir, { watch: w, dev: d.dev, ino: d.ino });
  }

  /**
   * A followed file is missing: if its folder went (removed, made again), its watch sees nothing
   * any more; it is dropped, and the file's next read (the poll's, once it is back) watches anew.
   */
  private async checkFolder(file: string): Promise<boolean> {
    const dir = path.dirname(this.contentOf.get(file) ?? file);
    const w = this.folders.get(dir);
    if (!w) return false;
    const d = await stat(dir).catch(() => undefined);
    if (d && d.dev === w.dev && d.ino === w.ino) return false;
    this.unwatchFolder(dir, w.watch);
    return true;
  }

  private folderEvent(dir: string, name: string | null): void {
    if (name === null) {
      // the platform did not say which file: every followed file there
      for (const [content, as] of this.watchedAs)
        if (path.dirname(content) === dir) for (const f of as) this.schedule(f);
      return;
    }
    // `dir` is a folder as watchFolder was given it (resolved) and `name` a name in it: joined
    // without path.join's normalising, once per write to any file there (~1% of a core at 100 writes/s).
    const as = this.watchedAs.get(dir.endsWith(path.sep) ? dir + name : dir + path.sep + name);
    if (as) for (const f of as) this.schedule(f);
  }

  private unwatchFolder(dir: string, w: FolderWatch): void {
    if (this.folders.get(dir)?.watch === w) this.folders.delete(dir);
    w.close();
  }

  private unmap(file: string, content: string): void {
    const as = this.watchedAs.get(content);
    as?.delete(file);
    if (as?.size !== 0) return;
    this.watchedAs.delete(content);
    const dir = path.dirname(content);
    const w = this.folders.get(dir);
    if (w && ![...this.watchedAs.keys()].some((c) => path.dirname(c) === dir)) this.unwatchFolder(dir, w.watch);
  }

  /** No longer followed (a drained file's time is up, or it is gone). */
  private forget(file: string): void {
    this.files.delete(file);
    const content = this.contentOf.get(file);
    if (content === undefined) return;
    this.contentOf.delete(file);
    this.unmap(file, content);
  }

  /**
   * For a followed path (not a drained file): files written since the last read that found its
   * current content began. What held the name after that and is gone from it now was made later.
   */
  private since(f: Followed): number | undefined {
    return f.drainUntil === undefined && f.readAt !== undefined ? f.readAt - MTIME_SLACK_MS : undefined;
  }

  /**
   * Where `file`'s content is: itself, or a symlink's target (its folder is the one to watch).
   * Undefined: not to be read, a symlink that leads outside the configured folders (said once),
   * unless its source has `followSymlinks`.
   */
  private async contentPath(file: string, f: Followed): Promise<string | undefined> {
    const l = await lstat(file).catch(() => undefined);
    if (!l?.isSymbolicLink()) return file;
    const real = await realpath(file).catch(() => undefined);
    if (f.source.followSymlinks) return real ?? file;
    if (
      real !== undefined &&
      this.realDirs.some((d) => real === d || real.startsWith(d.endsWith(path.sep) ? d : d + path.sep))
    )
      return real;
    if (!f.symlinkSaid) {
      f.symlinkSaid = true;
      this.opts.onError?.(
        file,
        new Error(
          `a symlink to ${real ?? '(nothing)'}, outside the configured folders (${this.realDirs.join(', ')}): not read (followSymlinks: true on the source reads it)`,
        ),
      );
    }
    return undefined;
  }

  /**
   * What was last read at `file` under another inode (rotated while stopped, or between a
   * SIGHUP's two tailers) is looked for in its folder and read to its end; and files named like
   * it that were written after the last read here (rotated more than once meanwhile) are read.
   */
  private async findRotatedAway(file: string): Promise<void> {
    const rows = this.index.filesAtPath(file);
    // Also what was being read under a rotated name when the last run ended (a drain that a
    // kill -9 cut short, an archive read half-way): found again by head, read on if not done.
    // (A glob follows those names itself: only for a single path, so a folder is not scanned per file.)
    const single = !picomatch.scan(path.resolve(this.files.get(file)?.source.path ?? file)).isGlob;
    const stem = path.join(path.dirname(file), path.basename(file).replace(/\..*$/, '') || path.basename(file));
    const recent = single ? this.index.recentFilesUnder(stem) : [];
    if (rows.length === 0 && recent.length === 0) return; // never read here: nothing can have been missed
    const now = await stat(file).catch(() => undefined);
    const away = rows.filter((r) => !now || r.dev !== now.dev || r.ino !== now.ino);
    for (const r of recent)
      if (r.path !== file && !away.some((a) => a.id === r.id)) away.push({ ...r, dev: null, ino: null });
    // Files named like it written since were rotated away unseen: while it was stopped, or while
    // it ran and two rotations came between two reads of the path (then a kill before the next
    // read left no trace of them). For a single path: any written since the very first start
    // (the index's rows cannot say when the path was last read: a later commit of another file,
    // a drain, moved the newest time past what was missed; the 180 s soak lost whole files so).
    // Known content is read from its checkpoint, so this reads nothing twice.
    const started = Date.parse(this.index.getMeta(FOLLOW_STARTED_KEY) ?? '');
    const lastRead =
      single && Number.isFinite(started)
        ? started - MTIME_SLACK_MS
        : Math.max(...rows.map((r) => r.updated_at), ...recent.map((r) => r.updated_at));
    if (away.length === 0 && !single) return;
    await this.findElsewhere(file, away, lastRead);
  }

  /**
   * Files in `file`'s folder (and its source's `rotatedDir`) whose name starts like its own (`access.log.1`, `access.log-2026...`,
   * `access.log.2.gz`, Caddy's `access-<time>.log`) and that hold one of `rows`: the same inode,
   * or the same head (a copy, an archive). Each is read (only if the index knows its content).
   * With `writtenSince`: also those named `<name>...` last written after it (the epoch ms of
   * the last read at `file`), read whole if the index does not know them; and only those are
   * identified by their head (a content with bytes not yet read was written after its last
   * read): as archives pile up, opening and decompressing each one on every rotation made the
   * search so slow that two rotations fitted in one read.
   */
  private async findElsewhere(
    file: string,
    rows: { dev: number | null; ino: number | null; fp_len: number; fp_hash: string }[],
    writtenSince?: number,
    readNewer = true,
    at = this.contentOf.get(file) ?? file,
  ): Promise<void> {
    // `at`: where the content looked for was (a followed symlink's target: rotated in the target's
    // folder, under the target's name; the link re-pointed: the old target). Not the current content.
    const now = this.contentOf.get(file) ?? file;
    const dir = path.dirname(at);
    const base = path.basename(at);
    const stem = base.replace(/\..*$/, '') || base;
    const rotatedDir = (this.files.get(file)?.source ?? this.sourceOf(file))?.rotatedDir;
    const names = await readdir(dir)
      .then((ns) => ns.map((n) => path.join(dir, n)))
      .catch(() => [] as string[]);
    if (rotatedDir !== undefined) {
      const other = path.resolve(dir, rotatedDir);
      names.push(
        ...(await readdir(other)
          .then((ns) => ns.map((n) => path.join(other, n)))
          .catch(() => [] as string[])),
      );
    }
    for (const p of names) {
      const name = path.basename(p);
      if (p === file || p === now || !name.startsWith(stem)) continue;
      const s = await stat(p).catch(() => undefined);
      if (!s?.isFile()) continue;
      let match = rows.some((r) => r.dev === s.dev && r.ino === s.ino);
      const recent = writtenSince === undefined || s.mtimeMs >= writtenSince;
      if (!match && recent && rows.some((r) => r.fp_hash !== '')) {
        const id = await identify(p).catch(() => undefined);
        match =
          id !== undefined &&
          rows.some((r) => r.fp_hash !== '' && id.head.length >= r.fp_len && id.headHash(r.fp_len) === r.fp_hash);
      }
      const newer =
        readNewer &&
        writtenSince !== undefined &&
        s.mtimeMs >= writtenSince &&
        (name.startsWith(base) || rotatedUnderStem(name, stem));
      if (!match && !newer) continue;
      const existing = this.files.get(p);
      if (existing) {
        // a pattern follows it anyway, or it is being drained
        if (newer) existing.knownOnly = false;
        this.schedule(p);
        continue;
      }
      const from = this.files.get(file);
      this.files.set(
        p,
        followed(from?.source ?? this.sourceOf(file)!, {
          seen: true,
          knownOnly: !newer,
          origin: from?.origin ?? file,
          drainUntil: Date.now() + (this.opts.drainMs ?? 60_000),
          expect: { dev: s.dev, ino: s.ino, mtimeMs: s.mtimeMs },
        }),
      );
      this.schedule(p);
    }
  }

  /**
   * The inode that was at `file` now lives elsewhere in its folder (renamed; or renamed and
   * compressed already): read it there, for a while. Found by inode, or by the head of the
   * content last read from it at `file` (an archive of it).
   */
  private async drainRotated(
    file: string,
    dev: number,
    ino: number,
    writtenSince?: number,
    readNewer = true,
    at?: string,
  ): Promise<void> {
    const row = this.index.fileAtPathWithInode(file, dev, ino);
    await this.findElsewhere(file, [row ?? { dev, ino, fp_len: 0, fp_hash: '' }], writtenSince, readNewer, at);
  }

  /**
   * A drained file is gone from where it was seen (compressed by logrotate, or renamed on): if
   * its content was not read to its end there, it is looked for by its head in the folder.
   */
  private async lookForMoved(f: Followed): Promise<void> {
    if (f.origin === undefined) return;
    if (f.fileId === undefined) {
      await this.lookForExpected(f);
      return;
    }
    const row = this.index.fileById(f.fileId);
    // Bytes not read yet were written after its last read began: only files written since are opened.
    const since = f.readAt !== undefined ? f.readAt - MTIME_SLACK_MS : undefined;
    if (row)
      await this.findElsewhere(
        f.origin,
        [{ dev: null, ino: null, fp_len: row.fp_len, fp_hash: row.fp_hash }],
        since,
        false,
      );
  }

  /**
   * A file found by a search moved on before its first read (renamed again, or compressed: an
   * archive keeps the mtime): looked for by its inode, and files named like its origin written
   * since it was (read whole if unknown, as the search would have).
   */
  private async lookForExpected(f: Followed): Promise<void> {
    const e = f.expect;
    f.expect = undefined;
    if (e === undefined || f.origin === undefined) return;
    await this.findElsewhere(
      f.origin,
      [{ dev: e.dev, ino: e.ino, fp_len: 0, fp_hash: '' }],
      e.mtimeMs - MTIME_SLACK_MS,
    );
  }
}
