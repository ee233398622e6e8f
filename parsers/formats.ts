/**
 * The formats claw-trace reads, by name, and how to pick one from a file's first lines.
 * `--format NAME` selects one; without it, `detectFormat` tries the candidates that fit the
 * shape of the lines and keeps the one that reads the most of them.
 */

import { type CaddyOptions, makeCaddyParser } from './caddy.js';
import { BUILTIN_LOG_FORMATS, compileNginxLogFormat, makeNginxJsonParser } from './nginxAccess.js';
import { makeNginxErrorParser } from './nginxError.js';
import { makeOpenClawParser } from './openclaw.js';
import { type LineParser, ParseError } from './record.js';
import { UserError } from './userError.js';

export interface ParserOptions {
  /** An nginx `log_format` directive or bare format string, for `nginx-access`. */
  logFormat?: string;
  /** Zone for logs without one (nginx error log, Caddy wall time). Default: this machine's. */
  zone?: string;
  requestIdHeader?: string;
  durationFormat?: CaddyOptions['durationFormat'];
  maxLineChars?: number;
  /**
   * Fill only what the index stores (the intake's parse); formats whose parse cannot skip the
   * rest (JSON lines are parsed whole anyway) ignore it.
   */
  indexOnly?: boolean;
}

interface FormatSpec {
  describe: string;
  make(opts: ParserOptions): LineParser;
}

export const FORMATS: Record<string, FormatSpec> = {
  'nginx-access': {
    describe: 'nginx access log in the log_format given with --log-format',
    make: (o) => {
      if (!o.logFormat)
        throw new UserError(
          "nginx-access needs the log_format: pass --log-format 'log_format name ...' (or use nginx-combined, nginx-main, nginx-claw_json)",
        );
      return compileNginxLogFormat(o.logFormat, o);
    },
  },
  ...Object.fromEntries(
    Object.entries(BUILTIN_LOG_FORMATS).map(([name, text]) => [
      `nginx-${name}`,
      {
        describe: `nginx access log, log_format ${name}`,
        make: (o: ParserOptions) => compileNginxLogFormat(text, o),
      },
    ]),
  ),
  'nginx-json': {
    describe: 'nginx access log in a JSON log_format not given: keys read by name',
    make: (o) => makeNginxJsonParser(o),
  },
  'nginx-error': { describe: 'nginx error log', make: (o) => makeNginxErrorParser(o) },
  caddy: { describe: 'Caddy JSON log (access, error and reverse_proxy lines)', make: (o) => makeCaddyParser(o) },
  openclaw: { describe: 'OpenClaw gateway file log (tslog JSON)', make: (o) => makeOpenClawParser(o) },
};

export function formatNames(): string[] {
  return Object.keys(FORMATS);
}

/** A parser for a named format; throws a user-facing error for an unknown name or bad log_format. */
export function createParser(format: string, opts: ParserOptions = {}): LineParser {
  const spec = FORMATS[format];
  if (!spec) throw new UserError(`unknown format "${format}": one of ${formatNames().join(', ')}`);
  return spec.make(opts);
}

const compiled = new Map<string, LineParser>();
const MAX_COMPILED = 256;

/**
 * A compiled parser for a format and its options (as stored JSON), made once and reused: the
 * intake reads a live file on every change, and lookups re-read stored lines file by file.
 * Parsers keep no state across lines that matters (only last-value time caches), so sharing is safe.
 */
export function parserFor(format: string, optionsJson: string): LineParser {
  const key = `${format}\u0000${optionsJson}`;
  let p = compiled.get(key);
  if (!p) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    p = createParser(format, JSON.parse(optionsJson) as ParserOptions);
    compiled.set(key, p);
  }
  return p;
}

export interface Detection {
  format: string;
  /** Lines of the sample the chosen format read. */
  matched: number;
  sampled: number;
}

/** Candidates in order of preference: a specific layout before the generic one that also reads it. */
function candidates(firstChar: string, opts: ParserOptions): string[] {
  if (firstChar === '{')
    return ['caddy', 'openclaw', 'nginx-claw_json', ...(opts.logFormat ? ['nginx-access'] : []), 'nginx-json'];
  return [...(opts.logFormat ? ['nginx-access'] : []), 'nginx-error', 'nginx-main', 'nginx-combined'];
}

/** Picks the format that reads the most of `lines` (the first ~50 non-empty lines of a file). */
export function detectFormat(lines: readonly string[], opts: ParserOptions = {}): Detection | undefined {
  const sample = lines.filter((l) => l.trim().length > 0).slice(0, 50);
  if (sample.length === 0) return undefined;
  const firstChar = sample[0]!.trimStart()[0] ?? '';
  let best: Detection | undefined;
  for (const format of candidates(firstChar, opts)) {
    const parse = createParser(format, opts);
    let matched = 0;
    for (const l of sample) if (!(parse(l) instanceof ParseError)) matched++;
    if (matched > 0 && (best === undefined || matched > best.matched))
      best = { format, matched, sampled: sample.length };
  }
  return best;
}
