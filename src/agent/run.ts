/** `claw-trace agent`: config, logger, signals around the Agent. */
import { pino } from 'pino';
import YAML from 'yaml';
import { onStop } from '../util/stopSignal.js';
import { terminalSafe } from '../util/terminalText.js';
import { Agent } from './agent.js';
import { type AgentConfig, loadConfig } from './config.js';
import { setAgentV8Flags } from './v8Flags.js';

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

export async function runAgent(o: AgentFlags): Promise<number> {
  const config = effective(o);
  if (o.printConfig) {
    process.stdout.write(YAML.stringify(config));
    return 0;
  }
  setAgentV8Flags(); // main.ts set them already where `agent` was the command line's first word
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
