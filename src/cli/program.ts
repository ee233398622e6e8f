/**
 * claw-trace's commands and their options (commander), for every command line that main.ts does
 * not answer itself (quickLookup.ts). Exit codes: 0 done, 1 nothing found/read, 2 usage or
 * configuration error.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import bytes from 'bytes';
// Each command imports what it uses when it runs: a lookup must not pay for the tailer's,
// the progress bar's and the glob library's start-up (about 100 ms together).
import { Command, InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import { ERROR_KINDS, FORMATS } from '../../parsers/index.js';
import { defaultIndexPath } from '../config/paths.js';
import type { OtlpProtocol } from '../export/config.js';
import { onStop } from '../util/stopSignal.js';
import { terminalSafe } from '../util/terminalText.js';
import { VERSION } from '../util/version.js';
import { endQuietlyOnClosedPipe, exitOnUserError, UsageError } from './errors.js';
import { runLocalLookup } from './localLookup.js';
import { outputWidth } from './outputWidth.js';
import { withIndex } from './withIndex.js';

function duration(v: string): number {
  if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d|w|y)$/i.test(v.trim()))
    throw new InvalidArgumentError('a duration such as 7d, 12h or 90m');
  const n = ms(v as ms.StringValue);
  if (typeof n !== 'number' || !(n > 0)) throw new InvalidArgumentError('a duration such as 7d, 12h or 90m');
  return n;
}

function size(v: string): number {
  // bytes.parse reads '10GX' as 10 bytes: for a command that deletes, accept only what is clear.
  if (!/^\d+(\.\d+)?\s*(b|kb|mb|gb|tb)$/i.test(v.trim())) throw new InvalidArgumentError('a size such as 2GB or 500MB');
  const n = bytes.parse(v);
  if (n === null || !(n > 0)) throw new InvalidArgumentError('a size such as 2GB or 500MB');
  return n;
}

/** `--width N`: the columns to fit to (default: the terminal's; not cut when not a terminal). */
function widthOption(): Option {
  return new Option(
    '--width <columns>',
    "fit the output to this many columns (default: the terminal's width; a pipe gets every line whole)",
  ).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 40) throw new InvalidArgumentError('a number of columns, 40 or more');
    return n;
  });
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

interface ParserFlags {
  format?: string;
  logFormat?: string;
  tz: string;
  requestIdHeader: string;
  maxLineBytes: number;
}

/** The options every command that reads logs takes, declared once. */
function withParserOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <name>', 'the format, instead of detecting it').choices(Object.keys(FORMATS)))
    .option(
      '--log-format <text>',
      "an nginx log_format: the directive from nginx.conf ('log_format name ...;') or the bare format string",
    )
    .option(
      '--tz <zone>',
      'time zone of logs that write none (nginx error log): local, UTC, +02:00, Europe/Berlin',
      'local',
    )
    .option('--request-id-header <name>', 'the header that carries the request ID (Caddy)', 'X-Request-Id')
    .addOption(
      new Option('--max-line-bytes <n>', 'longer lines are counted as unreadable, not read')
        .argParser(positiveInt)
        .default(256 * 1024, '262144 (256 KiB)'),
    );
}

function parserOptions(o: ParserFlags) {
  return {
    format: o.format ?? (o.logFormat ? 'nginx-access' : undefined),
    logFormat: o.logFormat,
    zone: o.tz,
    requestIdHeader: o.requestIdHeader,
    maxLineBytes: o.maxLineBytes,
  };
}

const program = new Command();
program
  .name('claw-trace')
  .description('Follow a request through Nginx/Caddy and an OpenClaw gateway, and name the cause of its 5xx.')
  .version(VERSION)
  // The lookup's --db/--json belong to the root; subcommands have their own.
  .enablePositionalOptions()
  // `claw-trace help parse`, although a bare word is also a request ID to look up.
  .helpCommand('help [command]', 'show the help of a command')
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

interface LookupFlags {
  db: string;
  json?: boolean;
  width?: number;
  agent?: string[];
  agentTimeout: number;
  otlpBackend?: string;
  config?: string;
}
async function lookup(id: string, o: LookupFlags): Promise<void> {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const width = outputWidth(process.stdout, o.width);
  if (o.otlpBackend) {
    const { runBackendLookup } = await import('./lookupCommand.js');
    process.exitCode = await runBackendLookup(
      id,
      o.otlpBackend,
      o.agentTimeout,
      { json: o.json, color, width },
      process.stdout,
      process.stderr,
    );
    return;
  }
  // The agents to ask: --agent, else the config's `agents:` (-c).
  if (!o.agent?.length && o.config) o.agent = (await import('../agent/config.js')).loadConfig(o.config).agents;
  if (o.agent?.length) {
    const { runRemoteLookup } = await import('./lookupCommand.js');
    process.exitCode = await runRemoteLookup(
      id,
      o.agent,
      o.agentTimeout,
      { json: o.json, color, width },
      process.stdout,
      process.stderr,
    );
    return;
  }
  await runLocalLookup(id, o);
}

/** The options of a lookup, for `claw-trace <id>` and `claw-trace lookup <id>` alike. */
function withLookupOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'the index', defaultIndexPath())
    .option('--json', 'print the trace and diagnosis as JSON')
    .addOption(widthOption())
    .option(
      '--agent <url>',
      "ask this regional agent's API instead of the local index (repeat for each region; token from $CLAW_TRACE_TOKEN)",
      (v: string, prev: string[] = []) => {
        if (!/^https?:\/\//.test(v)) throw new InvalidArgumentError('an http:// or https:// URL');
        return [...prev, v];
      },
    )
    .option('-c, --config <file>', 'an agent config: its `agents:` are asked (when no --agent is given)')
    .option(
      '--otlp-backend <url>',
      'ask the tracing backend (Jaeger or Tempo query API) for the exported trace instead',
    )
    .addOption(
      new Option('--agent-timeout <duration>', 'how long to wait for each agent or the backend')
        .argParser(duration)
        .default(3000, '3s'),
    );
}

withLookupOptions(
  program.argument(
    '[request-id]',
    'show one request across proxies and gateway, with the cause of its failure (a unique prefix works)',
  ),
).action(async (id: string | undefined, o: LookupFlags) => {
  if (id === undefined) {
    program.help({ error: true });
    return;
  }
  await lookup(id, o);
});

withLookupOptions(
  program
    .command('lookup')
    .description('the same as claw-trace <request-id>, for an ID that is also a command name')
    .argument('<request-id>'),
).action((id: string, o: LookupFlags) => lookup(id, o));

program
  .command('5xx')
  .alias('failures')
  .description(
    'the failures in a time window: each cause with its total and an example request ID, then by region, path and upstream',
  )
  .option('--db <path>', 'the index', defaultIndexPath())
  .addOption(
    new Option('--since <duration>', 'how far back from now (or from --until)')
      .argParser(duration)
      .default(3_600_000, '1h'),
  )
  .option('--until <time>', 'end of the window (ISO 8601); default now', (v: string) => {
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new InvalidArgumentError('an ISO 8601 time such as 2026-11-22T13:00:00Z');
    return t;
  })
  .option('--region <label>', 'only this region')
  .option('--json', 'print the report as JSON')
  .addOption(widthOption())
  .action(async (o: { db: string; since: number; until?: number; region?: string; json?: boolean; width?: number }) => {
    const { runFailures } = await import('./failuresCommand.js');
    const to = o.until ?? Date.now();
    process.exitCode = await withIndex(
      o.db,
      (index) =>
        runFailures(
          index,
          {
            from: to - o.since,
            to,
            region: o.region,
            json: o.json,
            color: process.stdout.isTTY === true && !process.env.NO_COLOR,
            width: outputWidth(process.stdout, o.width),
          },
          process.stdout,
        ),
      { existing: true },
    );
  });

withParserOptions(program.command('parse'))
  .description('read log files and print their records as NDJSON; a summary of unreadable lines goes to stderr')
  .argument('<files...>', 'log files (plain or .gz); - reads standard input')
  .option('--errors', 'print every unreadable line with its place and reason')
  .option('--summary-only', 'print only the summary, no records')
  .action(async (files: string[], o: ParserFlags & { errors?: boolean; summaryOnly?: boolean }) => {
    const { runParse } = await import('./parseCommand.js');
    process.exitCode = await runParse(
      files,
      { ...parserOptions(o), errors: o.errors, summaryOnly: o.summaryOnly },
      process.stdout,
      process.stderr,
    );
  });

withParserOptions(program.command('ingest'))
  .description('backfill log files (plain and .gz) into the index; running it again adds nothing twice')
  .argument('<files...>', 'files or globs (quote globs: "/var/log/nginx/access.log*")')
  .option('--db <path>', 'the index', defaultIndexPath())
  .option('--region <label>', 'region label stored with the files')
  .option('--json', 'print the summary as JSON on stdout (no progress bar)')
  .option(
    '--otlp-endpoint <url>',
    'export the ingested traces to this OTLP/HTTP receiver (default: OTEL_EXPORTER_OTLP_ENDPOINT; none: no export)',
  )
  .addOption(
    new Option(
      '--otlp-protocol <protocol>',
      'OTLP encoding (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)',
    ).choices(['http/protobuf', 'http/json']),
  )
  .addOption(
    new Option('--export-wait <duration>', 'how long to wait for the endpoint to take every span before exiting')
      .argParser(duration)
      .default(60_000, '60s'),
  )
  .addOption(
    new Option(
      '--bulk <mode>',
      'write new pages once through a rollback journal when no other process has the index open: auto = for 64 MB or more of input that is at least as large as the index',
    )
      .choices(['auto', 'always', 'never'])
      .default('auto'),
  )
  .action(
    async (
      files: string[],
      o: ParserFlags & {
        db: string;
        region?: string;
        json?: boolean;
        otlpEndpoint?: string;
        otlpProtocol?: OtlpProtocol;
        exportWait: number;
        bulk: 'auto' | 'always' | 'never';
      },
    ) => {
      const { runIngest } = await import('./ingestCommand.js');
      process.exitCode = await runIngest(
        files,
        {
          ...parserOptions(o),
          db: o.db,
          region: o.region,
          json: o.json,
          export: { endpoint: o.otlpEndpoint, protocol: o.otlpProtocol },
          exportWaitMs: o.exportWait,
          bulk: o.bulk,
        },
        process.stdout,
        process.stderr,
      );
    },
  );

program
  .command('agent')
  .description(
    "the sidecar: follow the proxies' and the gateway's logs into the index, export traces, serve the HTTP API",
  )
  .option('-c, --config <file>', 'YAML config (default: the built-in defaults, see --print-config)')
  .option('--db <path>', 'the index (overrides the config)')
  .option('--port <n>', 'API port (overrides the config; 0: any free port)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port 0..65535');
    return n;
  })
  .option(
    '--backfill',
    'on the first start on an empty index, read the files there whole (default: from their end; later starts never skip)',
  )
  .option('--print-config', 'print the effective config as YAML and exit')
  .action(async (o: { config?: string; db?: string; port?: number; backfill?: boolean; printConfig?: boolean }) => {
    const { runAgent } = await import('../agent/run.js');
    process.exitCode = await runAgent(o);
  });

withParserOptions(program.command('follow'))
  .description(
    'follow live log files into the index through rotation, until Ctrl-C (no API, no export: `claw-trace agent` does both)',
  )
  .argument('<paths...>', 'files or globs (quote globs: "/var/log/nginx/*.log")')
  .option('--db <path>', 'the index', defaultIndexPath())
  .option(
    '--backfill',
    'on the first start on an empty index, read the files there whole (default: from their end; later starts never skip)',
  )
  .option('--region <label>', 'region label stored with the files')
  .action(async (paths: string[], o: ParserFlags & { db: string; backfill?: boolean; region?: string }) => {
    const [{ RecordIndex }, { Tailer }, { glob, isDynamicPattern }] = await Promise.all([
      import('../store/recordIndex.js'),
      import('../tail/tailer.js'),
      import('tinyglobby'),
    ]);
    // Paths that name nothing yet are followed (a log appears with its first line), but said.
    for (const p of paths) {
      const name = terminalSafe(p, 300);
      if (isDynamicPattern(p)) {
        if ((await glob(p, { onlyFiles: true })).length === 0)
          process.stderr.write(
            `claw-trace: no file matches ${name} yet; files that appear are read from their start\n`,
          );
        continue;
      }
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory())
        throw new UsageError(
          `${name} is a directory: give the log files in it (e.g. "${name.replace(/\/$/, '')}/*.log")`,
        );
      if (!st)
        process.stderr.write(
          `claw-trace: ${name}: no such file${existsSync(path.dirname(p)) ? ' yet; it is read from its start when it appears' : ` (nor its directory ${terminalSafe(path.dirname(p), 300)}): a typo?`}\n`,
        );
    }
    const index = new RecordIndex(o.db);
    let records = 0;
    const { maxLineBytes, ...parsing } = parserOptions(o);
    const tailer = new Tailer(index, {
      sources: paths.map((p) => ({ path: p, ...parsing, region: o.region })),
      maxLineBytes,
      backfill: o.backfill,
      onCommit: (r) => {
        records += r.length;
      },
      onError: (file, e) =>
        process.stderr.write(`claw-trace: ${terminalSafe(file, 300)}: ${terminalSafe(e.message, 300)}\n`),
      onGap: (g) =>
        process.stderr.write(
          `claw-trace: ${terminalSafe(g.file, 300)} was truncated in place (copytruncate): lines written between the copy and the truncate are lost (read to byte ${g.offset}; ${g.unreadBytes} bytes seen after it looked for in the copy)\n`,
        ),
    });
    // Stop handlers first: a SIGTERM right after "following" must find them.
    const stopped = new Promise<void>((resolve) => onStop(() => resolve()));
    await tailer.start();
    process.stderr.write(
      `following ${tailer.followed().length} file${tailer.followed().length === 1 ? '' : 's'} into ${terminalSafe(o.db, 300)}; Ctrl-C to stop\n`,
    );
    const report = setInterval(() => {
      if (records) {
        process.stderr.write(`${records} records\n`);
        records = 0;
      }
    }, 5000);
    await stopped;
    clearInterval(report);
    await tailer.stop(); // finishes the reads in flight: their batches commit with their checkpoints
    index.close();
    process.stderr.write(`stopped${records ? ` (${records} records since the last report)` : ''}\n`);
  });

program
  .command('prune')
  .description(
    'apply retention to the index: drop records older than --max-age, then the oldest until it fits --max-size',
  )
  .option('--db <path>', 'the index', defaultIndexPath())
  .option('--max-age <duration>', 'keep records newer than this (7d, 12h)', duration)
  .option('--max-size <size>', 'keep the index under this (2GB, 500MB)', size)
  .action(async (o: { db: string; maxAge?: number; maxSize?: number }) => {
    if (o.maxAge === undefined && o.maxSize === undefined)
      throw new UsageError('prune needs --max-age and/or --max-size');
    const { applyRetention } = await import('../store/retention.js');
    const r = await withIndex(o.db, (index) => applyRetention(index, { maxAgeMs: o.maxAge, maxBytes: o.maxSize }));
    process.stderr.write(
      `pruned ${r.deleted} records: ${bytes(r.bytesBefore)} -> ${bytes(r.bytesAfter)} in use (longest pause ${r.longestPauseMs.toFixed(0)} ms)\n`,
    );
  });

program
  .command('doctor')
  .description(
    "check the proxies' configs against the gateway's: the mistakes behind most 502s, each with file:line, why and the fix (exit 0 none, 1 findings, 2 unreadable)",
  )
  .option(
    '--nginx <file>',
    'nginx.conf (includes followed), or - for `nginx -T` output on stdin (default: runs nginx -T when nginx is installed)',
  )
  .option(
    '--caddy <file>',
    "a Caddyfile (read through `caddy adapt`) or adapted JSON (default: the installed Caddy's Caddyfile)",
  )
  .option(
    '--openclaw <file>',
    "the gateway's config, JSON5 (default: $OPENCLAW_CONFIG_PATH, else ~/.openclaw/openclaw.json)",
  )
  .option(
    '--live',
    'also ask the running host: listeners on the gateway port, its /healthz, the upstreams, recent failures in the index',
  )
  .option('--db <path>', 'the index (for --live)', defaultIndexPath())
  .option('--json', 'print { findings: [...] } as JSON')
  .action(
    async (o: { nginx?: string; caddy?: string; openclaw?: string; live?: boolean; db: string; json?: boolean }) => {
      const { runDoctor } = await import('./doctorCommand.js');
      process.exitCode = await runDoctor(o, process.stdout, process.stderr);
    },
  );

program
  .command('probe')
  .description(
    'the drill: /healthz, /readyz and a WebSocket upgrade through the public URL and straight to the gateway, each with its own request ID; headers compared; which hops logged each; the cause of a failure (exit 1 when a check fails)',
  )
  .argument('<public-url>', 'the gateway as users reach it, e.g. https://claw.example.com')
  .option(
    '--loopback <url>',
    'the gateway straight on its port (default: http://127.0.0.1:<gateway.port> from --openclaw)',
  )
  .option(
    '--openclaw <file>',
    "the gateway's config, for its port (default: $OPENCLAW_CONFIG_PATH, else ~/.openclaw/openclaw.json)",
  )
  .option(
    '--agent <url>',
    "also ask this regional agent for the checks' request IDs (repeat for each region; token from $CLAW_TRACE_TOKEN)",
    (v: string, prev: string[] = []) => {
      if (!/^https?:\/\//.test(v)) throw new InvalidArgumentError('an http:// or https:// URL');
      return [...prev, v];
    },
  )
  .option('--db <path>', 'the local index', defaultIndexPath())
  .addOption(
    new Option('--wait <duration>', 'how long to wait for the index and agents to hold the checks')
      .argParser(duration)
      .default(10_000, '10s'),
  )
  .addOption(
    new Option('--repeat <n>', 'rounds to run (a health gate: stops at the first failed round)')
      .argParser(positiveInt)
      .default(1),
  )
  .addOption(new Option('--interval <duration>', 'time between rounds').argParser(duration).default(10_000, '10s'))
  .option('--json', 'print the rounds as JSON')
  .action(
    async (
      url: string,
      o: {
        loopback?: string;
        openclaw?: string;
        agent?: string[];
        db: string;
        wait: number;
        repeat: number;
        interval: number;
        json?: boolean;
      },
    ) => {
      const httpUrl = (v: string, what: string) => {
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          throw new UsageError(`${what} ${terminalSafe(v, 200)} is not a URL (http://host:port or https://host)`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          throw new UsageError(`${what} must be http:// or https://`);
        return u.toString().replace(/\/$/, '');
      };
      let loopback = o.loopback;
      if (!loopback) {
        const { readGatewayConfig } = await import('../doctor/gatewayConfig.js');
        loopback = `http://127.0.0.1:${readGatewayConfig(o.openclaw, o.openclaw !== undefined).port}`;
      }
      const { runProbe } = await import('./probeCommand.js');
      process.exitCode = await runProbe(
        httpUrl(url, 'the public URL'),
        {
          loopback: httpUrl(loopback, '--loopback'),
          agent: o.agent,
          db: o.db,
          json: o.json,
          repeat: o.repeat,
          intervalMs: o.interval,
          waitMs: o.wait,
        },
        process.stdout,
      );
    },
  );

program
  .command('demo')
  .description(
    'read the bundled logs from real nginx, Caddy and OpenClaw runs and show what claw-trace understands of them',
  )
  .addOption(widthOption())
  .action(async (o: { width?: number }) => {
    const { runDemo } = await import('./demoCommand.js');
    process.exitCode = await runDemo(process.stdout, outputWidth(process.stdout, o.width));
  });

program
  .command('formats')
  .description('list the log formats and the error kinds claw-trace recognises')
  .action(() => {
    for (const [name, spec] of Object.entries(FORMATS)) process.stdout.write(`${name.padEnd(18)} ${spec.describe}\n`);
    process.stdout.write('\nerror kinds:\n');
    for (const k of ERROR_KINDS) process.stdout.write(`${k.kind.padEnd(30)} ${k.summary}\n`);
  });

program.hook('preAction', (_program, command) => {
  // Not the agent: it logs to stdout, and a service manager should see it fail and restart it.
  if (command.name() !== 'agent') endQuietlyOnClosedPipe();
});

/** Runs the command line (`process.argv`, with node and the script first). */
export async function runProgram(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    exitOnUserError(e);
  }
}

/** The command names and aliases: what quickLookup.ts must leave to this parser. */
export function commandNames(): string[] {
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}
