/** `claw-trace agent`: config, logger, signals around the Agent. */
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import YAML from 'yaml';
import { onStop } from '../util/stopSignal.js';
import { terminalSafe } from '../util/terminalText.js';
import { Agent } from './agent.js';
import { type AgentConfig, loadConfig } from './config.js';

export interface AgentFlags {
  config?: string;
  db?: string;
  port?: number;
  backfill?: boolean;
  printConfig?: boolean;
}

function effective(o: AgentFlags, reload = false): AgentConfig {
  const c = loadConfig(o.config, process.env, { refuseEmpty: reload });
  return {
    ...c,
    index: o.db ?? c.index,
    backfill: o.backfill ?? c.backfill,
    api: { ...c.api, port: o.port ?? c.api.port },
  };
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** A pino JSON line as `12:00:01 info  message` (control characters in it made visible). */
function humanLine(json: string): string {
  try {
    const j = JSON.parse(json) as { time: number; level: number; msg?: string };
    return `${new Date(j.time).toTimeString().slice(0, 8)} ${(LEVELS[j.level] ?? String(j.level)).padEnd(5)} ${terminalSafe(j.msg ?? '', 2000)}\n`;
  } catch {
    return json;
  }
}

/**
 * V8 allocates straight into the old generation from a code site whose objects it saw survive a
 * young collection (allocation-site pretenuring). In the agent that is a bet on timing: a young
 * collection that lands while a batch is in flight marks the sites that allocate the batch's
 * objects long-lived, and from then on every batch is garbage in the old generation (~7 MB/s at 5,000
 * lines/s), which grows to 55-65 MB between full collections. bench:agent: RSS 144-157 MB in about
 * half the runs (5 full collections in 25 s), 112-116 in the others; with it off 113-123 in every
 * run, 1 full collection (at the start) and CPU the same or lower. Set at run time, before the
 * first batch, for the agent only (`ingest`'s big batches may be worth tenuring); V8's flags are
 * the process's, so its query and checkpoint threads have it too. Node 20 and 24.
 */
export const AGENT_V8_FLAGS = '--no-allocation-site-pretenuring';

export async function runAgent(o: AgentFlags): Promise<number> {
  setFlagsFromString(AGENT_V8_FLAGS);
  const config = effective(o);
  if (o.printConfig) {
    process.stdout.write(YAML.stringify(config));
    return 0;
  }
  // Structured logs (JSON lines) on stderr for journald/launchd; on a terminal, one readable line
  // each. `log.level: warn` for a quiet agent.
  const base = { pid: process.pid, builder: config.builder, region: config.region };
  const log = process.stderr.isTTY
    ? pino({ level: config.log.level, base }, { write: (line: string) => process.stderr.write(humanLine(line)) })
    : pino({ level: config.log.level, base }, pino.destination(2));
  const agent = new Agent(config, log);
  await agent.start();
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: stopping (committing what is read, flushing the outbox)`);
      void agent.stop().then(
        () => {
          log.info('stopped');
          log.flush();
          resolve(0);
        },
        (e: Error) => {
          log.error({ err: e.message }, 'stop failed');
          resolve(1);
        },
      );
    };
    onStop((reason) =>
      stop(reason === 'parent exited' ? 'the shell npm started it from exited (npm was stopped)' : reason),
    );
    process.on('SIGHUP', () => {
      try {
        void agent
          .reload(effective(o, true))
          .catch((e: Error) => log.error({ err: e.message }, `reload failed: ${e.message}`));
      } catch (e) {
        log.error({ err: (e as Error).message }, `config not reloaded: ${(e as Error).message}`);
      }
    });
  });
}
