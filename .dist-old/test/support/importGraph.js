/**
 * The import graph of the product's TypeScript sources (src/ and parsers/): every static import,
 * `export ... from` and `import()` of a relative path, type-only ones included (they couple
 * modules as much as values do). Read from the sources, so no build step or tool is needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
/** The relative specifiers a source imports (comments are not stripped: keep import-like text out of them). */
export function importsOf(source) {
    const out = [];
    for (const m of source.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (spec?.startsWith('.'))
            out.push(spec);
    }
    return out;
}
function tsFiles(dir) {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
        .map((e) => path.join(e.parentPath, e.name));
}
export function importGraph(repo, roots = ['src', 'parsers']) {
    const g = new Map();
    for (const root of roots) {
        for (const abs of tsFiles(path.join(repo, root))) {
            const from = path.relative(repo, abs);
            const to = importsOf(readFileSync(abs, 'utf8')).map((spec) => path.relative(repo, path.resolve(path.dirname(abs), spec.replace(/\.js$/, '.ts'))));
            g.set(from, to);
        }
    }
    return g;
}
/** Every cycle's files (strongly connected components of more than one file, or a file importing itself). */
export function cycles(g) {
    // Tarjan's algorithm.
    let next = 0;
    const index = new Map();
    const low = new Map();
    const stack = [];
    const onStack = new Set();
    const out = [];
    const visit = (v) => {
        index.set(v, next);
        low.set(v, next);
        next++;
        stack.push(v);
        onStack.add(v);
        for (const w of g.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
            }
            else if (onStack.has(w))
                low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
        }
        if (low.get(v) === index.get(v)) {
            const scc = [];
            let w;
            do {
                w = stack.pop();
                if (w === undefined)
                    break;
                onStack.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (g.get(v) ?? []).includes(v))
                out.push(scc.sort());
        }
    };
    for (const v of g.keys())
        if (!index.has(v))
            visit(v);
    return out;
}
/** The arrows from files under `fromDir` to files under `toDir`, as `a -> b`. */
export function arrows(g, fromDir, toDir) {
    const under = (f, d) => f.startsWith(d.endsWith('/') ? d : `${d}/`);
    const out = [];
    for (const [from, tos] of g)
        if (under(from, fromDir))
            for (const to of tos)
                if (under(to, toDir))
                    out.push(`${from} -> ${to}`);
    return out;
}
//# sourceMappingURL=importGraph.js.map