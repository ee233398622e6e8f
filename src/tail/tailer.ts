/**
 * Follows live log files into the index (chokidar for change events, a poll as the safety net).
 * Every read is `intakeFile` from the file's checkpoint, so the tailer only decides when to read:
 *
 * - a change event or a poll tick schedules a read of that file; reads of one file never overlap
 *   and requests during a read coalesce into one more read;
 * - rotation by rename (nginx + USR1, logrotate `create`, Caddy's roll): the path now holds a
 *   new inode; the old inode is looked for in the same folder under its new name and read to its
 *   end, and kept in view for a while because the writer may still append to it until it reopens;
 * - copytruncate and recycled inodes are told apart by the head fingerprint (intakeFile);
 * - a file briefly missing is simply not read until it is back;
 * - on the first start, files the index does not know are taken from their end unless
 *   `backfill` is set; files that appear while running are read from their start.
 */
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogRecord, ParserOptions } from '../../parsers/index.js';
import type { RecordIndex } from '../store/recordIndex.js';
import { intakeFile, type IntakeResult } from '../intake/intakeFile.js';

export interface TailSource extends ParserOptions {
  /** A path or a glob (`/var/log/nginx/access.log*`, `/tmp/openclaw/openclaw-*.log`). */
  path: string;
  format?: string;
  region?: string;
}

export interface TailerOptions {
  sources: TailSource[];
  /** Read files the index does not know from their start on the first start (default: from their end). */
  backfill?: boolean;
  /** Safety-net poll of every followed file, ms (default 1000). */
  pollMs?: number;
  /** How long a rotated-away inode is still read, ms (default 60 s). */
  drainMs?: number;
  maxLineBytes?: number;
  /**
   * Lines per commit (default 500). Small, so one commit never holds the event loop long: the
   * agent's API answers in between (5,000 per commit stalled it ~30 ms).
   */
  batchLines?: number;
  onCommit?: (records: LogRecord[]) => void;
  onRead?: (r: IntakeResult) => void;
  onError?: (file: string, e: Error) => void;
}

interface Followed {
  source: TailSource;
  reading: boolean;
  again: boolean;
  dev: number | null;
  ino: number | null;
  /** For a rotated-away inode: read it until then. */
  drainUntil?: number;
}

export class Tailer {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly files = new Map<string, Followed>();
  private readonly matchers: { source: TailSource; isMatch: (p: string) => boolean }[];
  private ready = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly index: RecordIndex, private readonly opts: TailerOptions) {
    this.matchers = opts.sources.map((source) => ({ source, isMatch: picomatch(path.resolve(source.path)) }));
  }

  private sourceOf(file: string): TailSource | undefined {
    return this.matchers.find((m) => m.isMatch(file))?.source;
  }

  /** Starts watching; resolves once the existing files have been taken in (or positioned at their end). */
  async start(): Promise<void> {
    const dirs = [...new Set(this.opts.sources.map((s) => picomatch.scan(path.resolve(s.path)).base || '/'))];
    const watcher = watch(dirs, {
      ignoreInitial: false,
      depth: 4,
      ignored: (p: string, stats?: { isFile(): boolean }) => stats?.isFile() === true && this.sourceOf(p) === undefined,
    });
    this.watcher = watcher;
    watcher.on('add', (p: string) => this.schedule(p));
    watcher.on('change', (p: string) => this.schedule(p));
    watcher.on('unlink', (p: string) => this.schedule(p));
    watcher.on('error', (e: unknown) => this.opts.onError?.('(watcher)', e as Error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    await this.settle();
    this.ready = true;
    this.poll = setInterval(() => { for (const f of this.files.keys()) this.schedule(f); }, this.opts.pollMs ?? 1000);
  }

  /** Resolves when no read is in flight (tests and shutdown). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    await this.watcher?.close();
    await this.settle();
  }

  /** Files followed now (patterns matched, and rotated-away inodes still being drained). */
  followed(): string[] {
    return [...this.files.keys()];
  }

  private schedule(file: string): void {
    if (this.stopped) return;
    let f = this.files.get(file);
    if (!f) {
      const source = this.sourceOf(file);
      if (!source) return;
      f = { source, reading: false, again: false, dev: null, ino: null };
      this.files.set(file, f);
    }
    if (f.reading) { f.again = true; return; }
    f.reading = true;
    const p: Promise<void> = this.read(file, f).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async read(file: string, f: Followed): Promise<void> {
    try {
      do {
        f.again = false;
        if (f.drainUntil !== undefined && Date.now() > f.drainUntil) { this.files.delete(file); return; }
        const exists = await stat(file).then((s) => s.isFile(), () => false);
        if (!exists) { if (f.drainUntil !== undefined) this.files.delete(file); return; } // rotated, deleted, or briefly missing
        const r = await intakeFile(this.index, file, {
          ...f.source,
          position: this.ready || this.opts.backfill ? 'start' : 'end',
          maxLineBytes: this.opts.maxLineBytes,
          batchLines: this.opts.batchLines ?? 500,
          onCommit: this.opts.onCommit,
        });
        this.opts.onRead?.(r);
        if (f.ino !== null && f.dev !== null && (r.ino !== f.ino || r.dev !== f.dev)) await this.drainRotated(file, f.dev, f.ino);
        f.dev = r.dev;
        f.ino = r.ino;
      } while (f.again && !this.stopped);
    } catch (e) {
      this.opts.onError?.(file, e as Error);
    } finally {
      f.reading = false;
    }
  }

  /** The inode that was at `file` now lives elsewhere in its folder (renamed): read it there, for a while. */
  private async drainRotated(file: string, dev: number, ino: number): Promise<void> {
    const dir = path.dirname(file);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const p = path.join(dir, name);
      if (p === file) continue;
      const s = await stat(p).catch(() => undefined);
      if (!s || s.dev !== dev || s.ino !== ino) continue;
      const existing = this.files.get(p);
      if (existing && existing.drainUntil === undefined) return; // a pattern follows it anyway
      this.files.set(p, { source: this.files.get(file)!.source, reading: false, again: false, dev, ino, drainUntil: Date.now() + (this.opts.drainMs ?? 60_000) });
      this.schedule(p);
      return;
    }
  }
}
