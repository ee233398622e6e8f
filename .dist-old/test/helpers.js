import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser, ParseError } from '../parsers/index.js';
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (...p) => path.join(REPO, 'fixtures', ...p);
/** Every line of a file through one parser (the fixtures are small). */
export function parseLines(file, format, opts = {}) {
    const parse = createParser(format, opts);
    const out = { records: [], errors: [] };
    readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
        if (line === '')
            return;
        const r = parse(line);
        if (r instanceof ParseError)
            out.errors.push({ lineNo: i + 1, error: r });
        else
            out.records.push(r);
    });
    return out;
}
export const pathOf = (uri) => (uri ?? '').split('?')[0] ?? '';
/** Seeded PRNG (mulberry32) so a fuzz failure can be replayed. */
export function prng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
/** A well-formed nginx combined line, distinct for each i (its path carries i). */
export function combinedLine(i, status = 200) {
    const s = String(i % 60).padStart(2, '0');
    return `127.0.0.1 - - [22/Nov/2026:13:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${s} +0000] "GET /r/${i} HTTP/1.1" ${status} ${i % 1000} "-" "curl/8"`;
}
/** The request number a combined line from combinedLine carries. */
export const lineNumberOf = (raw) => Number(/\/r\/(\d+)/.exec(raw)?.[1] ?? NaN);
//# sourceMappingURL=helpers.js.map