/**
 * Which file is this? Device + inode follow a file across renames; a hash of its first bytes
 * (decompressed, for .gz archives) tells a recycled inode or a rewritten file from the old one,
 * and finds an archive's content under its new name.
 *
 * Everything is taken from one open file handle (fstat, head, gzip magic, trailer), and the
 * intake then reads through the same handle: a rename between the steps cannot make the
 * identity of one file and the bytes of another.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { gunzipSync, constants as zc } from 'node:zlib';
export const FINGERPRINT_BYTES = 1024;
export function hashHead(head, len) {
    return createHash('sha1').update(head.subarray(0, len)).digest('hex');
}
async function readAt(fh, len, position) {
    const b = Buffer.alloc(len);
    let n = 0;
    while (n < len) {
        const { bytesRead } = await fh.read(b, n, len - n, position + n);
        if (bytesRead === 0)
            break;
        n += bytesRead;
    }
    return b.subarray(0, n);
}
/** The first FINGERPRINT_BYTES of a gzip file's content, from as few compressed bytes as give them. */
async function gzipHead(fh, size) {
    for (let raw = 64 * 1024;; raw *= 4) {
        const compressed = await readAt(fh, Math.min(raw, size), 0);
        let out;
        try {
            // SYNC_FLUSH: what the bytes so far decompress to, without asking for the end of the stream.
            out = gunzipSync(compressed, { finishFlush: zc.Z_SYNC_FLUSH });
        }
        catch (e) {
            throw new Error(`not a readable gzip file (${e.message}, in its first ${compressed.length} bytes)`);
        }
        if (out.length >= FINGERPRINT_BYTES || compressed.length >= size || raw >= 16 * 1024 * 1024)
            return out.subarray(0, FINGERPRINT_BYTES);
    }
}
/** The identity of the file open as `fh`. */
export async function identifyHandle(fh) {
    const s = await fh.stat();
    const magic = await readAt(fh, 2, 0);
    const gzip = magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    const head = gzip ? await gzipHead(fh, s.size) : await readAt(fh, FINGERPRINT_BYTES, 0);
    // The trailer's ISIZE (uncompressed size mod 2^32, of the last member).
    const gzipSize = gzip && s.size >= 18 ? (await readAt(fh, 4, s.size - 4)).readUInt32LE(0) : undefined;
    const hashes = new Map();
    return {
        dev: s.dev,
        ino: s.ino,
        size: s.size,
        birthtimeMs: s.birthtimeMs,
        gzip,
        head,
        gzipSize,
        headHash: (len) => {
            let h = hashes.get(len);
            if (h === undefined)
                hashes.set(len, (h = hashHead(head, len)));
            return h;
        },
    };
}
/** The identity of the file at `file` (opened once, closed after). */
export async function identify(file) {
    const fh = await open(file, 'r');
    try {
        return await identifyHandle(fh);
    }
    finally {
        await fh.close();
    }
}
//# sourceMappingURL=fileIdentity.js.map