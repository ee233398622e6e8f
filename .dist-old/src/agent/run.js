/** `claw-trace agent`: config, logger, signals around the Agent. */
import { pino } from 'pino';
import YAML from 'yaml';
import { onStop } from '../util/stopSignal.js';
import { terminalSafe } from '../util/terminalText.js';
import { Agent } from './agent.js';
import { loadConfig } from './config.js';
function effective(o, reload = false) {
    const c = loadConfig(o.config, process.env, { refuseEmpty: reload });
    return {
        ...c,
        index: o.db ?? c.index,
        backfill: o.backfill ?? c.backfill,
        api: { ...c.api, port: o.port ?? c.api.port },
    };
}
const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** A pino JSON line as `12:00:01 info  message` (control characters in it made visible). */
function humanLine(json) {
    try {
        const j = JSON.parse(json);
        return `${new Date(j.time).toTimeString().slice(0, 8)} ${(LEVELS[j.level] ?? String(j.level)).padEnd(5)} ${terminalSafe(j.msg ?? '', 2000)}\n`;
    }
    catch {
        return json;
    }
}
export async function runAgent(o) {
    const config = effective(o);
    if (o.printConfig) {
        process.stdout.write(YAML.stringify(config));
        return 0;
    }
    // Structured logs (JSON lines) on stderr for journald/launchd; on a terminal, one readable line
    // each. `log.level: warn` for a quiet agent.
    const base = { pid: process.pid, builder: config.builder, region: config.region };
    const log = process.stderr.isTTY
        ? pino({ level: config.log.level, base }, { write: (line) => process.stderr.write(humanLine(line)) })
        : pino({ level: config.log.level, base }, pino.destination(2));
    const agent = new Agent(config, log);
    await agent.start();
    return new Promise((resolve) => {
        const stop = (signal) => {
            log.info(`${signal}: stopping (committing what is read, flushing the outbox)`);
            void agent.stop().then(() => {
                log.info('stopped');
                log.flush();
                resolve(0);
            }, (e) => {
                log.error({ err: e.message }, 'stop failed');
                resolve(1);
            });
        };
        onStop((reason) => stop(reason === 'parent exited' ? 'the shell npm started it from exited (npm was stopped)' : reason));
        process.on('SIGHUP', () => {
            try {
                void agent
                    .reload(effective(o, true))
                    .catch((e) => log.error({ err: e.message }, `reload failed: ${e.message}`));
            }
            catch (e) {
                log.error({ err: e.message }, `config not reloaded: ${e.message}`);
            }
        });
    });
}
//# sourceMappingURL=run.js.map