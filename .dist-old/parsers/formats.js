/**
 * The formats claw-trace reads, by name, and how to pick one from a file's first lines.
 * `--format NAME` selects one; without it, `detectFormat` tries the candidates that fit the
 * shape of the lines and keeps the one that reads the most of them.
 */
import { makeCaddyParser } from './caddy.js';
import { BUILTIN_LOG_FORMATS, compileNginxLogFormat, makeNginxJsonParser } from './nginxAccess.js';
import { makeNginxErrorParser } from './nginxError.js';
import { makeOpenClawParser } from './openclaw.js';
import { ParseError } from './record.js';
import { UserError } from './userError.js';
export const FORMATS = {
    'nginx-access': {
        describe: 'nginx access log in the log_format given with --log-format',
        make: (o) => {
            if (!o.logFormat)
                throw new UserError("nginx-access needs the log_format: pass --log-format 'log_format name ...' (or use nginx-combined, nginx-main, nginx-claw_json)");
            return compileNginxLogFormat(o.logFormat, o);
        },
    },
    ...Object.fromEntries(Object.entries(BUILTIN_LOG_FORMATS).map(([name, text]) => [
        `nginx-${name}`,
        {
            describe: `nginx access log, log_format ${name}`,
            make: (o) => compileNginxLogFormat(text, o),
        },
    ])),
    'nginx-json': {
        describe: 'nginx access log in a JSON log_format not given: keys read by name',
        make: (o) => makeNginxJsonParser(o),
    },
    'nginx-error': { describe: 'nginx error log', make: (o) => makeNginxErrorParser(o) },
    caddy: { describe: 'Caddy JSON log (access, error and reverse_proxy lines)', make: (o) => makeCaddyParser(o) },
    openclaw: { describe: 'OpenClaw gateway file log (tslog JSON)', make: (o) => makeOpenClawParser(o) },
};
export function formatNames() {
    return Object.keys(FORMATS);
}
/** A parser for a named format; throws a user-facing error for an unknown name or bad log_format. */
export function createParser(format, opts = {}) {
    const spec = FORMATS[format];
    if (!spec)
        throw new UserError(`unknown format "${format}": one of ${formatNames().join(', ')}`);
    return spec.make(opts);
}
const compiled = new Map();
const MAX_COMPILED = 256;
/**
 * A compiled parser for a format and its options (as stored JSON), made once and reused: the
 * intake reads a live file on every change, and lookups re-read stored lines file by file.
 * Parsers keep no state across lines that matters (only last-value time caches), so sharing is safe.
 */
export function parserFor(format, optionsJson) {
    const key = `${format}\u0000${optionsJson}`;
    let p = compiled.get(key);
    if (!p) {
        if (compiled.size >= MAX_COMPILED)
            compiled.clear();
        p = createParser(format, JSON.parse(optionsJson));
        compiled.set(key, p);
    }
    return p;
}
/** Candidates in order of preference: a specific layout before the generic one that also reads it. */
function candidates(firstChar, opts) {
    if (firstChar === '{')
        return ['caddy', 'openclaw', 'nginx-claw_json', ...(opts.logFormat ? ['nginx-access'] : []), 'nginx-json'];
    return [...(opts.logFormat ? ['nginx-access'] : []), 'nginx-error', 'nginx-main', 'nginx-combined'];
}
/** Picks the format that reads the most of `lines` (the first ~50 non-empty lines of a file). */
export function detectFormat(lines, opts = {}) {
    const sample = lines.filter((l) => l.trim().length > 0).slice(0, 50);
    if (sample.length === 0)
        return undefined;
    const firstChar = sample[0].trimStart()[0] ?? '';
    let best;
    for (const format of candidates(firstChar, opts)) {
        const parse = createParser(format, opts);
        let matched = 0;
        for (const l of sample)
            if (!(parse(l) instanceof ParseError))
                matched++;
        if (matched > 0 && (best === undefined || matched > best.matched))
            best = { format, matched, sampled: sample.length };
    }
    return best;
}
//# sourceMappingURL=formats.js.map