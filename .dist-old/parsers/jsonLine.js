/**
 * JSON log formats as data. One reader of a JSON line (the checks every JSON format makes before
 * it looks at a field), and field tables: for each record field, the path in the line's object
 * that carries it and how its value is read. A format is its table plus code hooks only for what
 * a table cannot say (Caddy's time and duration formats, OpenClaw's message classes); nginx's
 * `log_format` compiler over its variable table (nginxVariables.ts) is the same idea for text.
 */
import { ParseError } from './record.js';
export function isJsonObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}
/** The line's object, or why there is none: empty, too long, not JSON (cut short or not), not an object. */
export function readJsonLine(line, maxLen) {
    if (line.length === 0)
        return new ParseError('empty', 'empty line');
    if (line.length > maxLen)
        return new ParseError('line-too-long', `${line.length} characters, over the limit of ${maxLen}`);
    let o;
    try {
        o = JSON.parse(line);
    }
    catch (e) {
        return new ParseError(line.trimStart().startsWith('{') ? 'truncated' : 'not-json', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return isJsonObject(o) ? o : new ParseError('not-an-object', 'the JSON line is not an object');
}
const reader = (what, f) => Object.assign(f, { what });
/** Readers shared by the formats. */
export const read = {
    string: reader('text', (v) => (typeof v === 'string' ? v : undefined)),
    /** Text, not empty. */
    text: reader('text', (v) => (typeof v === 'string' && v !== '' ? v : undefined)),
    number: reader('a number', (v) => (typeof v === 'number' ? v : undefined)),
    integer: reader('a number', (v) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined)),
    /** An integer, or the text of one (a port written as "54321"). */
    integerOrText: reader('an integer', (v) => {
        const n = typeof v === 'string' ? Number(v) : v;
        return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
    }),
    /** true when the value is an object (Caddy's `request.tls`). */
    present: reader('an object', (v) => (isJsonObject(v) ? true : undefined)),
    /** A hex string of `n` characters (lower case), e.g. a W3C trace ID. */
    hex: (n) => {
        const re = new RegExp(`^[0-9a-f]{${n}}$`);
        return reader(`${n} hex digits`, (v) => (typeof v === 'string' && re.test(v) ? v : undefined));
    },
    /** The first value of a header map (`{"X-Request-Id": ["abc"]}`), the name in any letter case. */
    header: (name) => {
        const lower = name.toLowerCase();
        return reader(`a ${name} header`, (headers) => {
            if (!isJsonObject(headers))
                return undefined;
            let v = headers[name];
            if (v === undefined) {
                for (const k in headers)
                    if (k.length === lower.length && k.toLowerCase() === lower) {
                        v = headers[k];
                        break;
                    }
            }
            if (Array.isArray(v))
                v = v[0];
            return typeof v === 'string' && v.length > 0 ? v : undefined;
        });
    },
};
export function row(from, r, set, strict = false) {
    return {
        from,
        strict,
        what: r.what,
        apply: (raw, rec) => {
            const v = r(raw);
            if (v === undefined)
                return false;
            set(rec, v);
            return true;
        },
    };
}
/** A table as a function of (object, record): fills the record, or says which field is wrong. */
export function compileTable(rows) {
    // Each object the rows read from is found once per line: rows grouped by the path of their
    // parent (the line itself first), in parallel arrays for a tight loop over them.
    const parents = [[]];
    const parentOf = [];
    const leaves = [];
    for (const r of rows) {
        const path = r.from.split('.');
        leaves.push(path.pop() ?? '');
        let p = parents.findIndex((x) => x.join('.') === path.join('.'));
        if (p < 0)
            p = parents.push(path) - 1;
        parentOf.push(p);
    }
    const n = rows.length;
    const objects = new Array(parents.length);
    return (o, rec) => {
        objects[0] = o;
        for (let i = 1; i < parents.length; i++) {
            const path = parents[i] ?? [];
            let v = o;
            for (let k = 0; k < path.length && v !== undefined; k++)
                v = isJsonObject(v) ? v[path[k] ?? ''] : undefined;
            objects[i] = isJsonObject(v) ? v : undefined;
        }
        for (let i = 0; i < n; i++) {
            const parent = objects[parentOf[i] ?? 0];
            if (parent === undefined)
                continue;
            const raw = parent[leaves[i] ?? ''];
            if (raw === undefined)
                continue;
            const r = rows[i];
            if (r && !r.apply(raw, rec) && r.strict)
                return badField(r.from, raw, r.what);
        }
        return undefined;
    };
}
function badField(from, raw, what) {
    return new ParseError('bad-field', `"${from}" is ${JSON.stringify(raw).slice(0, 40)}, not ${what ?? 'readable'}`);
}
//# sourceMappingURL=jsonLine.js.map