/**
 * A stable order of n items by two integer keys (a, then b), by LSD radix sort: what a commit's
 * ID entries and connections are sorted by before they are packed into pages (prepare.ts).
 *
 * Why: `Array.prototype.sort` with a comparator called ~16,000 times for a batch of 1,500 lines
 * was ~10% of a backfill's parse thread (the thread that sets a `claw_json` backfill's pace). A
 * radix pass costs two walks over the items and one over 2,048 counters; the keys are rebased on
 * their smallest value, so a batch's connection numbers and times (a narrow range) take two or
 * three passes, a request ID's first 6 bytes five.
 */

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
/** Below this many items a comparator sort is cheaper than the passes over the counters. */
export const RADIX_MIN_ITEMS = 64;

const counts = new Uint32Array(BUCKETS);

/**
 * The indices 0..n-1 ordered by (a[i], b[i]), ties in index order. Keys are integers in
 * [0, 2^53) (as Float64Array values: exact).
 */
export function radixOrder(a: Float64Array, b: Float64Array, n: number): Uint32Array {
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  // Least significant key first: a stable pass by `a` afterwards keeps b's order within each a.
  for (const key of [b, a]) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = key[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    if (range === 0) continue;
    // The rebased key in two 32-bit halves: each pass's digit is then integer shifts alone.
    for (let i = 0; i < n; i++) {
      const v = key[i]! - min;
      const h = Math.floor(v / 2 ** 32);
      hi[i] = h;
      lo[i] = v - h * 2 ** 32;
    }
    for (let bit = 0; bit < 53 && 2 ** bit <= range; bit += DIGIT_BITS) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[digit(lo, hi, order[i]!, bit)]!++;
      let sum = 0;
      for (let d = 0; d < BUCKETS; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const j = order[i]!;
        next[counts[digit(lo, hi, j, bit)]!++] = j;
      }
      const t = order;
      order = next;
      next = t;
    }
  }
  return order;
}

/** Bits [bit, bit + DIGIT_BITS) of the 64-bit value hi:lo of item j. */
function digit(lo: Uint32Array, hi: Uint32Array, j: number, bit: number): number {
  if (bit >= 32) return (hi[j]! >>> (bit - 32)) & (BUCKETS - 1);
  if (bit + DIGIT_BITS <= 32) return (lo[j]! >>> bit) & (BUCKETS - 1);
  return ((lo[j]! >>> bit) | (hi[j]! << (32 - bit))) & (BUCKETS - 1);
}
