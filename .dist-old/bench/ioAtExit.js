/**
 * Preloaded into a benchmarked process (`node --import`): at exit, writes the bytes the whole
 * process (every thread) caused to be written to storage (Linux /proc/self/io write_bytes) to the
 * file named by BENCH_IO_OUT, so the bench can print write amplification next to speed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
const out = process.env.BENCH_IO_OUT;
if (out) {
    process.on('exit', () => {
        try {
            writeFileSync(out, /write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? '');
        }
        catch {
            /* not Linux: no figure */
        }
    });
}
//# sourceMappingURL=ioAtExit.js.map