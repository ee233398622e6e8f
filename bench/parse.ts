/**
 * Parse-only speed per format, one core: lines already in memory, the parser alone timed.
 * `npm run bench` (or `node dist/bench/parse.js [seconds]`). Targets from issue 2.
 *
 * Speed is lines per CPU-second of this process (user + system), which leaves out the time a
 * VM's vCPU was not running (steal); wall-clock lines/s is printed beside it.
 *
 * The corpus is the real fixture lines repeated, with the time advanced every 50 lines so the
 * timestamp caches see a new second as often as a busy server's log would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser, ParseError, type ParserOptions } from '../parsers/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.argv[2] ?? 1);
/** Rounds interleaved across formats; the median is reported (a VM's speed drifts run to run). */
const ROUNDS = Number(process.argv[3] ?? 5);
const CORPUS_LINES = 200_000;

interface Case {
  format: string;
  file: string;
  target: number;
  opts?: ParserOptions;
  /** Shown instead of the format's name. */
  label?: string;
}
const CASES: Case[] = [
  { format: 'nginx-combined', file: 'fixtures/nginx/combined.log', target: 1_000_000 },
  { format: 'nginx-claw_json', file: 'fixtures/nginx/claw_json.log', target: 300_000 },
  // What the intake reads of a line (only the values the index stores; lookups parse in full).
  {
    format: 'nginx-combined',
    file: 'fixtures/nginx/combined.log',
    target: 0,
    opts: { indexOnly: true },
    label: 'nginx-combined, index',
  },
  {
    format: 'nginx-claw_json',
    file: 'fixtures/nginx/claw_json.log',
    target: 0,
    opts: { indexOnly: true },
    label: 'nginx-claw_json, index',
  },
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
  for (let i = 0; out.length < CORPUS_LINES; i++)
    out.push(advance(lines[i % lines.length]!, Math.floor(out.length / 50) % 3600));
  return out;
}

/** [lines per CPU-second, lines per wall-second] */
function measure(parse: (l: string) => unknown, lines: string[]): [number, number] {
  let done = 0;
  let errors = 0;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < SECONDS) {
    for (const l of lines) if (parse(l) instanceof ParseError) errors++;
    done++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpu0);
  if (errors) throw new Error(`${errors} lines of the corpus did not parse`);
  return [(done * lines.length) / ((cpu.user + cpu.system) / 1e6), (done * lines.length) / elapsed];
}

/** `node dist/bench/parse.js [seconds] [rounds] [format-substring]` */
const only = process.argv[4];
const prepared = CASES.filter((c) => !only || (c.label ?? c.format).includes(only)).map((c) => {
  const lines = corpus(c.file);
  const parse = createParser(c.format, c.opts);
  for (const l of lines.slice(0, 20_000)) parse(l); // warm up
  return {
    c,
    lines,
    parse,
    bytesPerLine: lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / lines.length,
    runs: [] as number[],
    wall: [] as number[],
  };
});
for (let r = 0; r < ROUNDS; r++) {
  for (const p of prepared) {
    const [cpu, wall] = measure(p.parse, p.lines);
    p.runs.push(cpu);
    p.wall.push(wall);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: string[][] = [['format', 'lines/CPU-s', 'min..max', 'MB/CPU-s', 'wall lines/s', 'target', '']];
let missed = 0;
for (const { c, runs, wall, bytesPerLine } of prepared) {
  runs.sort((a, b) => a - b);
  const lps = median(runs);
  const ok = c.target === 0 || lps >= c.target;
  if (!ok) missed++;
  rows.push([
    c.label ?? c.format,
    fmt(lps),
    `${fmt(runs[0]!)}..${fmt(runs[runs.length - 1]!)}`,
    ((lps * bytesPerLine) / 1e6).toFixed(1),
    fmt(median(wall)),
    c.target ? `>= ${fmt(c.target)}` : '-',
    c.target ? (ok ? 'ok' : 'MISSED') : '',
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows)
  console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '));
console.log(
  `node ${process.version}, ${ROUNDS} rounds of ${SECONDS}s per format, ${CORPUS_LINES.toLocaleString('en-US')}-line corpus from fixtures/`,
);
process.exitCode = missed ? 1 : 0;
