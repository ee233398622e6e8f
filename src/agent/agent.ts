/**
 * The agent: one sidecar per builder. Tails the configured logs into the index, applies
 * retention, exports traces (when an endpoint is configured) and serves the HTTP API.
 *
 * Shutdown (SIGTERM/SIGINT): stop reading, let the batch in hand commit with its checkpoint,
 * flush the export outbox within a deadline, close. SIGHUP: reload the config (sources, labels,
 * retention; the API address and index path need a restart, and it says so).
 */

import { lookup } from 'node:dns/promises';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import bytes from 'bytes';
import type { FastifyInstance } from 'fastify';
import ms from 'ms';
import type { Logger } from 'pino';
import type { ExportConfig } from '../export/config.js';
import type { ExportThread } from '../export/exportThread.js';
import type { ExportStats } from '../export/pipeline.js';
import { EXPORT_OFF, exportRequested } from '../export/requested.js';
import { type Checkpointer, startCheckpointer } from '../store/checkpointer.js';
import { RecordIndex } from '../store/recordIndex.js';
import { applyRetention } from '../store/retention.js';
import { Tailer } from '../tail/tailer.js';
import { buildApi } from './api.js';
import { type AgentConfig, ConfigError } from './config.js';
import { AgentMetrics } from './metrics.js';
import { QueryPool } from './queryPool.js';
import type { AgentView } from './view.js';

/** An address (not a name) on the loopback interface: 127.0.0.0/8, ::1, ::ffff:127.x.x.x. */
export function isLoopbackAddress(addr: string): boolean {
  if (isIP(addr) === 4) return addr.startsWith('127.');
  if (isIP(addr) === 6) {
    const a = addr.toLowerCase();
    return (
      a === '::1' ||
      a === '0:0:0:0:0:0:0:1' ||
      (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 && a.slice(7).startsWith('127.'))
    );
  }
  return false;
}

/**
 * Whether the API host is loopback, decided on what it resolves to (every address), never on
 * how the name looks: `127.evil.example` is a name like any other.
 */
export async function resolvesToLoopback(host: string): Promise<boolean> {
  if (isIP(host)) return isLoopbackAddress(host);
  try {
    const addrs = await lookup(host, { all: true, verbatim: true });
    return addrs.length > 0 && addrs.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false; // not resolvable: not known to be loopback
  }
}

/** The API token (file first, then the variable), or undefined. */
export function readToken(c: AgentConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (c.api.tokenFile) {
    let t: string;
    try {
      t = readFileSync(c.api.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(
        `api.tokenFile: cannot read ${c.api.tokenFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    if (t.length < 16)
      throw new ConfigError(
        `api.tokenFile: the token in ${c.api.tokenFile} is shorter than 16 characters; use e.g. \`openssl rand -hex 32\``,
      );
    return t;
  }
  const t = env[c.api.tokenEnv]?.trim();
  if (t && t.length < 16)
    throw new ConfigError(
      `${c.api.tokenEnv}: the token is shorter than 16 characters; use e.g. \`openssl rand -hex 32\``,
    );
  return t || undefined;
}

/** Why the API cannot listen, as one line that says what to change (a ConfigError: exit 2). */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const at = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `${at}: the port is in use (another claw-trace agent? \`ss -ltnp 'sport = :${port}'\` shows which process); stop it, or choose another port with --port or api.port`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(
        `${at}: ${host} is not an address of this machine; set api.host to 127.0.0.1 or one of its addresses`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(
        `${at}: ${host} does not resolve to an address; set api.host to an IP address such as 127.0.0.1`,
      );
    case 'EACCES':
      return new ConfigError(
        `${at}: ports below 1024 need privileges; choose a port above 1023 with --port or api.port`,
      );
    default:
      return e;
  }
}

/**
 * Live rates need less page cache than a backfill: the ID runs take lines in order and the
 * records are appended, so the hot pages are few. 8 MiB instead of 16: bench:agent RSS -10 MB,
 * CPU the same; live into 300k rows (bench:ingest --large-only), commits 28.1 us a line vs 27.6
 * (4 MiB: 31.1, with schema 4's B-tree of request IDs). 4 MiB since session 13: with the ID runs
 * and line blocks, commits into 1M rows 4.8 and 5.1 us a line against 5.1 and 5.3 with 8 MiB
 * (interleaved pairs), Node 24's agent RSS 102–103 MB against 106–109, its API lookups (random
 * IDs, 50 clients) p99 37–38 ms against 31–35. WAL checkpoints run every second between the commits, or on a thread where the
 * disk makes them slow (store/checkpointer.ts); the automatic one, inside a commit, is the backstop.
 */
export const AGENT_INDEX_OPTIONS = { cacheMiB: 4, walCheckpointMiB: 64 } as const;

export class Agent implements AgentView {
  readonly index: RecordIndex;
  readonly metrics: AgentMetrics;
  private tailer: Tailer | undefined;
  private exportThread: ExportThread | undefined;
  private checkpointer: Checkpointer | undefined;
  private lastExport: ExportStats | undefined;
  private api: FastifyInstance | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private exportTimer: NodeJS.Timeout | undefined;
  private readonly token: string | undefined;
  private exportRetry: NodeJS.Timeout | undefined;
  private exportWaitSaid = false;
  /** The API's heavy reads and the recent-5xx gauge run there, not on this thread (queryPool.ts). */
  queries: QueryPool | undefined;
  url = '';

  constructor(
    private config: AgentConfig,
    private readonly log: Logger,
  ) {
    this.token = readToken(config);
    if (isIP(config.api.host) && !isLoopbackAddress(config.api.host) && !this.token) {
      throw new ConfigError(
        `api.host is ${config.api.host}, not loopback: the API needs a bearer token there. ` +
          `Put one in $${config.api.tokenEnv} or a file named by api.tokenFile (e.g. \`openssl rand -hex 32\`), or bind 127.0.0.1`,
      );
    }
    if (config.api.tokenFile) {
      const mode = statSync(config.api.tokenFile).mode;
      if ((mode & 0o044) !== 0) {
        log.warn(
          { tokenFile: config.api.tokenFile, mode: (mode & 0o777).toString(8) },
          `api.tokenFile ${config.api.tokenFile} is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
        );
      }
    }
    this.index = new RecordIndex(config.index, AGENT_INDEX_OPTIONS);
    this.metrics = new AgentMetrics(this);
  }

  get effectiveConfig(): AgentConfig {
    return this.config;
  }

  tailing(): string[] {
    return this.tailer?.followed() ?? [];
  }

  /** The tailer runs (between start and stop). */
  isTailing(): boolean {
    return this.tailer !== undefined && !this.stopping;
  }

  private readonly intakeErrors = new Map<string, string>();
  /** Why a file's last read could not be committed (the index refused the write), until a read of it succeeds. */
  intakeProblem(): string | undefined {
    const first = this.intakeErrors.entries().next();
    return first.done ? undefined : `${first.value[0]}: ${first.value[1]}`;
  }

  exportStats(): ExportStats | undefined {
    return this.lastExport;
  }

  async start(): Promise<void> {
    // Export starts where the index is now, before the tailer commits anything (the worker thread
    // starts a moment later and would otherwise skip the first batches).
    if (!this.token && !(await resolvesToLoopback(this.config.api.host))) {
      throw new ConfigError(
        `api.host is ${this.config.api.host}, which does not resolve to loopback addresses only: the API needs a bearer token there. ` +
          `Put one in $${this.config.api.tokenEnv} or a file named by api.tokenFile (e.g. \`openssl rand -hex 32\`), or bind 127.0.0.1`,
      );
    }
    const exportConfig = await this.exportConfig(); // a wrong export setting stops the start here
    const startAfter = this.index.lastBatch();
    this.checkpointer = startCheckpointer(this.index, {
      onCheckpoint: (s) => this.metrics.checkpointed(s),
      onThread: (slow) =>
        this.log.warn(
          { checkpointMs: slow.map((ms) => Math.round(ms)) },
          `WAL checkpoints took ${slow.map((ms) => Math.round(ms)).join(', ')} ms on the API's thread (the disk's fsync): they run on a thread of their own from now on (~10-15 MB more memory)`,
        ),
      onError: (e) => this.log.warn({ err: e.message }, `${e.message}: checkpoints fall back to the commits`),
    });
    await this.startTailer();
    this.startExport(startAfter, exportConfig);
    this.scheduleRetention();
    this.queries = new QueryPool(this.config.index, {
      onError: (e, replaced) =>
        replaced
          ? this.log.warn({ err: e.message }, `${e.message}; a new query thread takes its place`)
          : this.log.error(
              { err: e.message },
              `${e.message}; query threads keep failing: /v1/failures, the /v1/requests window and the recent-5xx gauges answer 503 until the agent restarts`,
            ),
    });
    this.api = buildApi(this, { token: this.token, logger: this.log });
    try {
      this.url = await this.api.listen({ host: this.config.api.host, port: this.config.api.port });
    } catch (e) {
      await this.stop();
      throw listenError(e as NodeJS.ErrnoException, this.config.api.host, this.config.api.port);
    }
    const files = this.tailing();
    if (this.config.sources.length === 0)
      this.log.warn(
        'no sources in the config (`sources: []`): nothing is followed; the API answers from the index as it is',
      );
    this.log.info(
      { index: this.config.index, api: this.url, files, patterns: this.config.sources.map((s) => s.path) },
      `watching ${files.length} file${files.length === 1 ? '' : 's'}${files.length ? `: ${files.join(', ')}` : ''} (of ${this.config.sources.length} paths and patterns; new matches are picked up); index ${this.config.index}; API on ${this.url}`,
    );
  }

  private async startTailer(): Promise<void> {
    const c = this.config;
    this.tailer = new Tailer(this.index, {
      sources: c.sources.map((s) => ({ ...s, region: s.region ?? c.region })),
      backfill: c.backfill,
      onCommit: (records) => this.metrics.committed(records),
      onRead: (r) => {
        this.intakeErrors.delete(r.file);
      },
      onManyFiles: (n) =>
        this.log.warn(
          { files: n },
          `following more than ${n - 1} files: each costs a watch and a stat per second; narrow the patterns if that is not meant (archives need not be followed: a single path finds its rotated file)`,
        ),
      onError: (file, e) => {
        this.metrics.readError();
        // The index refusing a write (disk full, read-only, I/O error): not ready until a commit succeeds again.
        if ((e as { code?: string }).code?.startsWith('SQLITE_')) this.intakeErrors.set(file, e.message);
        this.log.warn({ file, err: e.message }, `cannot read ${file}: ${e.message}`);
      },
      onGap: (g) => {
        this.metrics.gap(g.unreadBytes);
        this.log.warn(
          { file: g.file, fileId: g.fileId, readTo: g.offset, unreadBytes: g.unreadBytes },
          `${g.file} was truncated in place (copytruncate): lines written between the copy and the truncate are lost; the old content had been read to byte ${g.offset}, ` +
            `${g.unreadBytes} bytes seen after it are looked for in the copy`,
        );
      },
    });
    await this.tailer.start();
  }

  /** Resolves the export settings (errors are the config's: ConfigError). Undefined: export is off. */
  private async exportConfig(): Promise<ExportConfig | undefined> {
    const c = this.config;
    if (!exportRequested(c.export)) return undefined;
    const { resolveExport, ExportConfigError } = await import('../export/config.js');
    try {
      return resolveExport(c.export, {
        hostName: c.builder,
        region: c.region,
        environment: c.environment,
        version: c.tag,
      }).config;
    } catch (e) {
      throw e instanceof ExportConfigError ? new ConfigError(e.message) : e;
    }
  }

  private startExport(startAfter: number, config: ExportConfig | undefined): void {
    const c = this.config;
    if (!config) {
      this.log.info(`export off: ${EXPORT_OFF}`);
      return;
    }
    void Promise.all([import('../export/exportThread.js'), import('../export/outbox.js')]).then(
      ([{ startExportThread }, { openOutboxDatabase, otherExporter }]) => {
        if (this.stopping) return;
        // One exporter per index: while another process exports it (an `ingest --otlp-endpoint`),
        // that one sends everything committed, ours included; take over when it is done.
        const odb = openOutboxDatabase(c.index);
        const other = otherExporter(odb);
        odb.close();
        if (other !== undefined) {
          if (!this.exportWaitSaid)
            this.log.info(`export: process ${other} exports this index now; taking over when it stops`);
          this.exportWaitSaid = true;
          this.exportRetry = setTimeout(() => this.startExport(startAfter, config), 10_000);
          return;
        }
        this.exportThread = startExportThread(c.index, config, {
          startAfter,
          log: (level, msg, fields) => this.log[level](fields ?? {}, msg),
        });
        this.log.info(
          { url: config.url, protocol: config.protocol },
          `exporting traces to ${config.url} (${config.protocol})`,
        );
        this.exportTimer = setInterval(() => {
          void this.exportThread
            ?.stats()
            .then((s) => {
              this.lastExport = s;
            })
            .catch(() => {});
        }, 1000);
      },
    );
  }

  private scheduleRetention(): void {
    const c = this.config.retention;
    const policy = {
      maxAgeMs: ms(c.maxAge as ms.StringValue),
      maxBytes: c.maxSize ? (bytes.parse(c.maxSize) ?? undefined) : undefined,
    };
    this.retentionTimer = setInterval(() => {
      void applyRetention(this.index, policy)
        .then((r) => {
          if (r.deleted)
            this.log.info(
              { deleted: r.deleted, longestPauseMs: r.longestPauseMs },
              `retention: ${r.deleted} old records removed`,
            );
        })
        .catch((e: Error) => this.log.error({ err: e.message }, `retention failed: ${e.message}`));
    }, c.everyMinutes * 60_000);
    this.retentionTimer.unref();
  }

  /** SIGHUP: sources, labels, retention and log level from the new config; the rest needs a restart. */
  async reload(next: AgentConfig): Promise<void> {
    const needRestart: string[] = [];
    if (next.index !== this.config.index) needRestart.push('index');
    if (next.api.host !== this.config.api.host || next.api.port !== this.config.api.port) needRestart.push('api');
    if (JSON.stringify(next.export) !== JSON.stringify(this.config.export)) needRestart.push('export');
    if (needRestart.length)
      this.log.warn(`config reloaded; ${needRestart.join(', ')} changed and take effect after a restart`);
    this.config = { ...next, index: this.config.index, api: this.config.api, export: this.config.export };
    this.log.level = next.log.level;
    await this.tailer?.stop();
    this.intakeErrors.clear(); // said again by the new tailer's reads if still so
    await this.startTailer();
    clearInterval(this.retentionTimer);
    this.scheduleRetention();
    this.log.info({ files: this.tailing() }, `config reloaded: watching ${this.tailing().length} files`);
  }

  private stopping = false;
  /** Stop reading, commit what is in hand, flush the outbox within `deadlineMs`, close. */
  async stop(deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.stopping = true;
    try {
      await this.api?.close();
      await this.queries?.stop();
      await this.tailer?.stop();
      clearInterval(this.retentionTimer);
      clearInterval(this.exportTimer);
      clearTimeout(this.exportRetry);
      if (this.exportThread) {
        // Within the deadline whatever the endpoint does (one that never answers holds a delivery
        // open): the drain gets what is left of it less a second for the stop, then the thread is
        // stopped, or terminated; spans not acknowledged stay in the outbox.
        const s = await this.exportThread.drain(Math.max(0, deadline - Date.now() - 1000)).catch(() => undefined);
        await this.exportThread.stopWithin(Math.max(500, deadline - Date.now())).catch(() => undefined);
        if (s && s.spans > 0)
          this.log.warn(`${s.spans} spans still wait in the outbox; they are sent after the next start`);
      }
    } finally {
      // Whatever failed above: a checkpoint thread left running would keep the process up.
      await this.checkpointer?.stop();
      this.index.close();
    }
  }
}
