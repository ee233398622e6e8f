/**
 * Which file is this? Device + inode follow a file across renames; a hash of its first bytes
 * (decompressed, for .gz archives) tells a recycled inode or a rewritten file from the old one,
 * and finds an archive's content under its new name.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { isGzipFile, openLogStream } from '../read/lineReader.js';

export const FINGERPRINT_BYTES = 1024;

export interface FileIdentity {
  dev: number | null;
  ino: number | null;
  size: number;
  gzip: boolean;
  /** Up to FINGERPRINT_BYTES of the (decompressed) content. */
  head: Buffer;
  /** For a gzip file: its uncompressed size mod 2^32, from the trailer (ISIZE). */
  gzipSize: number | undefined;
  headHash(len: number): string;
}

export function hashHead(head: Buffer, len: number): string {
  return createHash('sha1').update(head.subarray(0, len)).digest('hex');
}

export async function identify(file: string): Promise<FileIdentity> {
  const s = await stat(file);
  const stream = await openLogStream(file);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parts.push(chunk);
    n += chunk.length;
    if (n >= FINGERPRINT_BYTES) break; // leaving the loop destroys the stream
  }
  const head = Buffer.concat(parts, n).subarray(0, FINGERPRINT_BYTES);
  const gzip = await isGzipFile(file);
  const hashes = new Map<number, string>();
  return {
    dev: s.dev, ino: s.ino, size: s.size, gzip, head, gzipSize: gzip ? await gzipTrailerSize(file, s.size) : undefined,
    headHash: (len) => {
      let h = hashes.get(len);
      if (h === undefined) hashes.set(len, (h = hashHead(head, len)));
      return h;
    },
  };
}

/** The gzip trailer's ISIZE: the uncompressed size mod 2^32 (of the last member). */
async function gzipTrailerSize(file: string, size: number): Promise<number | undefined> {
  if (size < 18) return undefined;
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}
