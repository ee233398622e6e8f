/**
 * nginx's configuration as a tree of directives that keep their file:line, read from the files
 * (following `include`) or from `nginx -T`'s output (its `# configuration file PATH:` headers map
 * each line back to its file).
 *
 * Hand-written over nginx's grammar (words, quotes, `;`, `{`, `}`, `#` comments, `${var}`): the npm
 * parsers (nginx-conf, @webantic/nginx-config-parser) return trees without line numbers, and a
 * finding without its file:line is one nobody can act on. The grammar is small; nginx itself
 * (`nginx -t`) stays the judge of syntax: this reader only needs what nginx accepted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';
import { UserError } from '../../parsers/userError.js';
/** A config that cannot be read: the command ends with exit code 2. */
export class ConfigReadError extends UserError {
    name = 'ConfigReadError';
}
/** nginx's tokens: words and quoted strings, and the punctuation `;`, `{`, `}`. */
export function tokenize(text, file) {
    const out = [];
    let line = 1;
    let i = 0;
    const n = text.length;
    while (i < n) {
        const c = text[i];
        if (c === '\n') {
            line++;
            i++;
            continue;
        }
        if (c === ' ' || c === '\t' || c === '\r') {
            i++;
            continue;
        }
        if (c === '#') {
            while (i < n && text[i] !== '\n')
                i++;
            continue;
        }
        if (c === ';' || c === '{' || c === '}') {
            out.push({ text: c, line, quoted: false });
            i++;
            continue;
        }
        if (c === '"' || c === "'") {
            const start = line;
            let s = '';
            i++;
            while (i < n && text[i] !== c) {
                if (text[i] === '\\' && i + 1 < n) {
                    s += text[i + 1];
                    i += 2;
                    continue;
                }
                if (text[i] === '\n')
                    line++;
                s += text[i++];
            }
            if (i >= n)
                throw new ConfigReadError(`${file}:${start}: unterminated ${c} string`);
            i++;
            out.push({ text: s, line: start, quoted: true });
            continue;
        }
        let s = '';
        while (i < n) {
            const d = text[i];
            if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === ';')
                break;
            // `${name}` is a variable inside a word, not a block.
            if (d === '{' && s.endsWith('$')) {
                const close = text.indexOf('}', i);
                if (close < 0)
                    throw new ConfigReadError(`${file}:${line}: unterminated \${ variable`);
                s += text.slice(i, close + 1);
                i = close + 1;
                continue;
            }
            if (d === '{' || d === '}')
                break;
            if (d === '\\' && i + 1 < n) {
                s += d + text[i + 1];
                i += 2;
                continue;
            }
            s += d;
            i++;
        }
        out.push({ text: s, line, quoted: false });
    }
    return out;
}
/** The directives of one file's text; `include` is left for the caller to expand. */
export function parseText(text, file) {
    if (text.includes('\0'))
        throw new ConfigReadError(`${file}: not a text file (it holds NUL bytes): not an nginx config`);
    const tokens = tokenize(text, file);
    let i = 0;
    const level = (depth) => {
        const list = [];
        while (i < tokens.length) {
            const t = tokens[i];
            if (!t.quoted && t.text === '}') {
                if (depth === 0)
                    throw new ConfigReadError(`${file}:${t.line}: unexpected "}"`);
                i++;
                return list;
            }
            if (!t.quoted && (t.text === ';' || t.text === '{'))
                throw new ConfigReadError(`${file}:${t.line}: unexpected "${t.text}"`);
            const d = { name: t.text, args: [], file, line: t.line };
            i++;
            for (;;) {
                const a = tokens[i];
                if (!a)
                    throw new ConfigReadError(`${file}:${t.line}: "${t.text}" has no ending ";" or "{"`);
                i++;
                if (!a.quoted && a.text === ';')
                    break;
                if (!a.quoted && a.text === '{') {
                    d.block = level(depth + 1);
                    break;
                }
                if (!a.quoted && a.text === '}')
                    throw new ConfigReadError(`${file}:${a.line}: unexpected "}"`);
                d.args.push(a.text);
            }
            list.push(d);
        }
        if (depth > 0)
            throw new ConfigReadError(`${file}: unexpected end of file: a "}" is missing`);
        return list;
    };
    return level(0);
}
function expand(list, src, seen) {
    const out = [];
    for (const d of list) {
        if (d.name === 'include' && !d.block && d.args.length === 1) {
            for (const f of src.resolve(d.args[0], d.file)) {
                if (seen.includes(f))
                    throw new ConfigReadError(`${d.file}:${d.line}: include ${f} includes itself`);
                let text;
                // Said where the include is: "no such file" alone does not say which line names it.
                try {
                    text = src.text(f);
                }
                catch (e) {
                    throw e instanceof ConfigReadError
                        ? new ConfigReadError(`${d.file}:${d.line}: include ${d.args[0]}: ${e.message}`)
                        : e;
                }
                out.push(...expand(parseText(text, f), src, [...seen, f]));
            }
            continue;
        }
        out.push(d.block ? { ...d, block: expand(d.block, src, seen) } : d);
    }
    return out;
}
const hasGlob = (p) => /[*?[]/.test(p);
/** The config from its files: `include` relative to the main file's directory, as nginx's conf prefix. */
export function readNginxFile(main) {
    const files = [];
    const dir = path.dirname(path.resolve(main));
    const text = (f) => {
        try {
            const t = readFileSync(f, 'utf8');
            files.push(f);
            return t;
        }
        catch (e) {
            throw new ConfigReadError(`${f}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
        }
    };
    const resolve = (pattern) => {
        const p = path.isAbsolute(pattern) ? pattern : path.join(dir, pattern);
        // nginx: a glob that matches nothing is fine; a plain path that is missing is an error.
        return hasGlob(p) ? globSync(p, { onlyFiles: true, absolute: true, expandDirectories: false }).sort() : [p];
    };
    const directives = expand(parseText(text(main), main), { main, text, resolve }, [main]);
    return { directives, files };
}
/** `nginx -T`'s standard output split into its files (the first is the main one). */
export function splitDump(dump) {
    const files = new Map();
    let current;
    let lines = [];
    const flush = () => {
        // nginx -T writes an empty line after each file.
        if (current !== undefined)
            files.set(current, lines.join('\n').replace(/\n$/, ''));
    };
    // A dump saved on Windows or through a terminal has CRLF line ends.
    for (const l of dump.split(/\r?\n/)) {
        const header = /^# configuration file (.+):$/.exec(l);
        if (header) {
            flush();
            current = header[1];
            lines = [];
            continue;
        }
        if (current !== undefined)
            lines.push(l);
    }
    flush();
    return files;
}
/** The config from `nginx -T`'s output: includes resolved against the files it printed. */
export function readNginxDump(dump, label = 'nginx -T') {
    const files = splitDump(dump);
    const main = [...files.keys()][0];
    if (main === undefined)
        throw new ConfigReadError(`${label}: no "# configuration file PATH:" header: not the output of nginx -T`);
    const dir = path.dirname(main);
    const text = (f) => files.get(f) ?? '';
    const resolve = (pattern) => {
        const p = path.isAbsolute(pattern) ? pattern : path.join(dir, pattern);
        if (!hasGlob(p))
            return files.has(p) ? [p] : [];
        const match = picomatch(p);
        return [...files.keys()].filter((f) => match(f)).sort();
    };
    return { directives: expand(parseText(text(main), main), { main, text, resolve }, [main]), files: [...files.keys()] };
}
//# sourceMappingURL=nginxConfig.js.map