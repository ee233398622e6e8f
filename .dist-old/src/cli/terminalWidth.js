/**
 * Output made for the terminal it goes to: as wide as the terminal (`--width` to choose), and a
 * long value cut in its middle (its start and end are what tell one value from another: a path's
 * first folders and its file, a URL's host and its last part). Text that is not for a terminal
 * (a pipe, a file) is not cut unless `--width` says so.
 */
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';
export { outputWidth } from './outputWidth.js';
/** Columns a string takes on a terminal (colour codes take none, wide characters two). */
export const columns = (s) => stringWidth(s);
/** `s` in at most `width` columns, cut in the middle with `…` (colour codes kept whole). */
export function cutMiddle(s, width) {
    if (!Number.isFinite(width) || columns(s) <= width)
        return s;
    return cliTruncate(s, Math.max(1, Math.floor(width)), { position: 'middle' });
}
/** `s` padded with spaces to `width` columns (`padEnd` counts code units, not columns). */
export function padColumns(s, width, start = false) {
    const pad = ' '.repeat(Math.max(0, width - columns(s)));
    return start ? pad + s : s + pad;
}
/**
 * Parts joined with `sep` in at most `width` columns. What gives way, in order: the cuttable parts
 * (each cut in its middle, down to `min` columns), then the cuttable parts altogether, then the
 * others, lightest first (cut in their middle): what proves a point stays whole longest.
 */
export function fitParts(parts, width, sep = '  ', min = 12) {
    const join = (ps) => ps.filter(Boolean).join(sep);
    let texts = parts.map((p) => p.text);
    const over = () => columns(join(texts)) - width;
    if (!Number.isFinite(width) || over() <= 0)
        return join(texts);
    const shrink = (may) => {
        while (over() > 0) {
            // The longest part that may still give way gives up what is over (or all it can).
            let at = -1;
            for (let i = 0; i < texts.length; i++) {
                if (may(i) && columns(texts[i]) > min && (at < 0 || columns(texts[i]) > columns(texts[at])))
                    at = i;
            }
            if (at < 0)
                return;
            const excess = over();
            texts = texts.map((t, i) => (i === at ? cutMiddle(t, Math.max(min, columns(t) - excess)) : t));
        }
    };
    shrink((i) => parts[i].cuttable === true);
    for (let i = texts.length - 1; i >= 0 && over() > 0; i--)
        if (parts[i].cuttable)
            texts[i] = '';
    for (const weight of [...new Set(parts.map((p) => p.weight ?? 0))].sort((a, b) => a - b))
        shrink((i) => (parts[i].weight ?? 0) === weight);
    return cutMiddle(join(texts), width);
}
/** Prose in lines of at most `width` columns, each line after the first indented by `indent`. */
export function wrapText(s, width, indent = '') {
    if (!Number.isFinite(width) || columns(s) <= width)
        return s;
    return wrapAnsi(s, Math.max(20, width - columns(indent)), { hard: true, trim: true })
        .split('\n')
        .join(`\n${indent}`);
}
//# sourceMappingURL=terminalWidth.js.map