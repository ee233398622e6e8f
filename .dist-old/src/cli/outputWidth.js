/**
 * Columns to fit: `--width`, else the terminal's (80 when it does not say), else unbounded (a
 * pipe or a file gets every line whole). Apart from the layout code so that a command's start
 * does not load it.
 */
export function outputWidth(stream, flag) {
    if (flag !== undefined)
        return flag;
    if (stream.isTTY !== true)
        return Number.POSITIVE_INFINITY;
    return stream.columns && stream.columns > 0 ? stream.columns : 80;
}
//# sourceMappingURL=outputWidth.js.map