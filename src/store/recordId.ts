/** A record's row id: its file and byte offset, so a line can only ever be stored once. */
export function recordId(fileId: number, offset: number): bigint {
  // One BigInt where the id is exact as a number (files below 8192: ids below 2^53).
  return fileId < 8192 ? BigInt(fileId * 2 ** 40 + offset) : (BigInt(fileId) << 40n) | BigInt(offset);
}

export const OFFSET_MASK = (1n << 40n) - 1n;
