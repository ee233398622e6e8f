/**
 * Parse-only speed per format, one core: lines already in memory, the parser alone timed.
 * `npm run bench` (or `node dist/bench/parse.js [seconds]`). Targets from issue 2.
 *
 * The corpus is the real fixture lines repeated, with the time advanced every 50 lines so the
 * timestamp caches see a new second as often as a busy server's log would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser, ParseError, type ParserOptions } from '../parsers/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.argv[2] ?? 2);
const CORPUS_LINES = 200_000;

interface Case { format: string; file: string; target: number; opts?: ParserOptions }
const CASES: Case[] = [
  { format: 'nginx-combined', file: 'fixtures/nginx/combined.log', target: 1_000_000 },
  { format: 'nginx-claw_json', file: 'fixtures/nginx/claw_json.log', target: 300_000 },
  { format: 'nginx-json', file: 'fixtures/nginx/claw_json.log', target: 0 },
  { format: 'nginx-error', file: 'fixtures/nginx/error.log', target: 0, opts: { zone: 'UTC' } },
  { format: 'caddy', file: 'fixtures/caddy/access.log', target: 150_000 },
  { format: 'openclaw', file: 'fixtures/openclaw/openclaw-2026-11-22.log', target: 150_000 },
];

/** Shifts every timestamp-looking second in a line by `k` seconds (a new second every 50 lines). */
function advance(line: string, k: number): string {
  return line
    .replace(/(\d\d):(\d\d):(\d\d)/g, (_m, h: string, mi: string, s: string) => {
      const t = (Number(h) * 3600 + Number(mi) * 60 + Number(s) + k) % 86400;
      const p = (n: number) => String(n).padStart(2, '0');
      return `${p(Math.floor(t / 3600))}:${p(Math.floor(t / 60) % 60)}:${p(t % 60)}`;
    })
    .replace(/(1795\d{6})(\.\d+)/g, (_m, s: string, f: string) => String(Number(s) + k) + f);
}

function corpus(file: string): string[] {
  const lines = readFileSync(path.join(REPO, file), 'utf8').split('\n').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; out.length < CORPUS_LINES; i++) out.push(advance(lines[i % lines.length]!, Math.floor(out.length / 50) % 3600));
  return out;
}

const rows: string[][] = [['format', 'lines/s', 'MB/s', 'target', '']];
let missed = 0;
for (const c of CASES) {
  const lines = corpus(c.file);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const parse = createParser(c.format, c.opts);
  for (const l of lines.slice(0, 20_000)) parse(l); // warm up
  let done = 0;
  let errors = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < SECONDS) {
    for (const l of lines) if (parse(l) instanceof ParseError) errors++;
    done++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (errors) throw new Error(`${c.format}: ${errors} lines of the corpus did not parse`);
  const lps = (done * lines.length) / elapsed;
  const mbs = (done * bytes) / elapsed / 1e6;
  const ok = c.target === 0 || lps >= c.target;
  if (!ok) missed++;
  rows.push([c.format, Math.round(lps).toLocaleString('en-US'), mbs.toFixed(1), c.target ? `>= ${c.target.toLocaleString('en-US')}` : '-', c.target ? (ok ? 'ok' : 'MISSED') : '']);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '));
console.log(`node ${process.version}, ${SECONDS}s per format, ${CORPUS_LINES.toLocaleString('en-US')}-line corpus from fixtures/`);
process.exitCode = missed ? 1 : 0;
