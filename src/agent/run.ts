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

/**
 * The agent's V8 without its top tier (TurboFan) where its mid tier (Maglev, on by default since
 * Node 22) stands in: `--max-opt=2`. A flag V8 reads as it starts, so the agent starts itself again
 * with it, in the same process (`process.execve`, Node >= 22.15: the same PID for systemd, launchd
 * and whoever spawned it; the same arguments, environment and open descriptors). Node 24 at 5,000
 * lines/s (bench:agent, 240 s, runs in the same minutes): RSS 100-101 MB against 112-116, of which
 * ~5 MB are the `node` binary's pages of TurboFan's own code, never touched, and the rest its
 * compile zones and code; CPU the same (4.2% against 3.7%). The price is a backlog read on the
 * agent's thread (a restart after downtime): `combined` ~15% slower, `claw_json` ~5%. Set at run
 * time instead (`--no-turbofan`, Node 22.0-22.14) V8 stops optimizing with TurboFan but its code
 * is mapped already: 106 against 113 MB. Node 20 has no Maglev (the flag would leave only the
 * interpreter and Sparkplug), and is under its target without it (90-94 MB). A `--max-opt` given
 * to node is kept as it is (NODE_OPTIONS does not take V8's flags but a few: not this one).
 */
export const AGENT_TOP_TIER = '--max-opt=2';

/**
 * How the agent leaves V8's top tier out: `exec` (started again with AGENT_TOP_TIER), `run-time`
 * (TurboFan off from now: Node 22.0-22.14, or an exec refused), `none` (Node 20, or a `--max-opt`
 * given to node).
 */
export function topTierPlan(
  nodeMajor: number,
  canExec: boolean,
  execArgv: readonly string[],
): 'exec' | 'run-time' | 'none' {
  if (nodeMajor < 22 || execArgv.some((a) => a.startsWith('--max-opt'))) return 'none';
  return canExec ? 'exec' : 'run-time';
}

/** On Node >= 22: this process replaced by the same command with AGENT_TOP_TIER, or TurboFan off at run time. */
function startWithoutTopTier(): void {
  // process.execve: Node >= 22.15 and 23.11; @types/node here describes Node 20.
  const { execve } = process as { execve?: (file: string, args: string[]) => never };
  const plan = topTierPlan(Number(process.versions.node.split('.')[0]), execve !== undefined, process.execArgv);
  if (plan === 'none') return;
  if (plan === 'exec') {
    try {
      execve!.call(process, process.execPath, [
        process.execPath,
        ...process.execArgv,
        AGENT_TOP_TIER,
        ...process.argv.slice(1),
      ]);
    } catch {
      // Not replaced (a platform or sandbox that refuses it): the run-time flag below.
    }
  }
  setFlagsFromString('--no-turbofan');
}

export async function runAgent(o: AgentFlags): Promise<number> {
  const config = effective(o);
  if (o.printConfig) {
    process.stdout.write(YAML.stringify(config));
    return 0;
  }
  startWithoutTopTier();
  setFlagsFromString(AGENT_V8_FLAGS);
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
