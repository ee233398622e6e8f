/**
 * `claw-trace demo`: reads the bundled logs that real nginx, Caddy and an OpenClaw gateway wrote
 * (fixtures/) and shows what claw-trace understands of them: per file the format and counts, then
 * the failures the error lines name, by kind, with an example request each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { ERROR_KINDS, type LogRecord } from '../../parsers/index.js';
import { emptyStats, parseFile } from '../read/parseFile.js';
import { formatSummary } from './parseCommand.js';
import { terminalSafe } from './terminalText.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** The lab's own layout for nginx/custom.log, as a user would pass it with --log-format. */
function customLogFormat(): string | undefined {
  try {
    return /log_format custom [\s\S]*?;\n/.exec(readFileSync(path.join(FIXTURES, 'lab', 'nginx.conf'), 'utf8'))?.[0];
  } catch {
    return undefined;
  }
}

export async function runDemo(out: NodeJS.WritableStream): Promise<number> {
  const color = (out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
  const c = color ? pc : { bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s };
  const summary = ERROR_KINDS.reduce<Record<string, string>>((m, k) => ({ ...m, [k.kind]: k.summary }), {});
  out.write(c.bold('claw-trace demo') + c.dim(` — logs written by real nginx and Caddy (Debian packages) and an OpenClaw gateway, in ${FIXTURES}\n\n`));
  const failures = new Map<string, { count: number; example: LogRecord }>();
  for (const dir of ['nginx', 'caddy', 'openclaw']) {
    for (const name of readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith('.log')).sort()) {
      const file = path.join(FIXTURES, dir, name);
      const logFormat = name === 'custom.log' ? customLogFormat() : undefined;
      const stats = emptyStats(file);
      for await (const item of parseFile(file, { format: logFormat ? 'nginx-access' : undefined, logFormat, zone: 'UTC' }, stats)) {
        if (item.kind !== 'record' || item.record.errorKind === undefined) continue;
        const key = `${item.record.source}  ${item.record.errorKind}`;
        const f = failures.get(key) ?? { count: 0, example: item.record };
        f.count++;
        failures.set(key, f);
      }
      out.write(formatSummary({ ...stats, file: path.relative(process.cwd(), file) || file }, color) + '\n');
    }
  }
  out.write('\n' + c.bold('what the error lines say went wrong') + '\n');
  for (const [key, f] of [...failures.entries()].sort()) {
    const r = f.example;
    const where = r.uri !== undefined ? `${r.method ?? ''} ${terminalSafe(r.uri, 60)}` : c.dim('(no request on this line)');
    out.write(`  ${c.yellow(key.padEnd(48))} ${String(f.count).padStart(3)}×  e.g. ${where}\n`);
    out.write(`  ${' '.repeat(48)} ${c.dim(summary[r.errorKind!] ?? '')}\n`);
  }
  out.write(`\nNext: ${c.bold('npx claw-trace parse <your access or error log>')} to check your own logs are understood ` +
    `(--log-format for your nginx layout, --errors to see each line that is not).\n`);
  return 0;
}
