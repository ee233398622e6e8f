/**
 * Brotli for the line blocks (lineBlocks.ts): one native encoder and one decoder per thread,
 * initialised again for each block, instead of a zlib stream object per call.
 *
 * Why: `brotliCompressSync` and `brotliDecompressSync` make a stream object and a native Brotli
 * state for every call. On Node 24 that state stays allocated (and counted as external memory)
 * until a major GC collects its object: the agent at 5,000 lines/s on Node 24 held 20-30 MB of
 * such states between major GCs and its RSS grew to 142-167 MB (Node 20: 100-107 MB), and a
 * 64-line block compressed 2x slower than on Node 20 (measured, 10,000 blocks of claw_json-like
 * lines: 1.27 s against 0.60). Initialising one native handle again frees the previous state at once and sets
 * the same parameters, so each block is still a Brotli stream of its own and the bytes are
 * the same as `brotliCompressSync`'s.
 *
 * The handle (`_handle`: `init(params, writeState, callback)`, `writeSync(...)`) is what Node's
 * own zlib.js drives, not a documented API. So it is used only where it proves itself: on the Node
 * majors it was measured on, and after a first block compressed by it is byte-for-byte what
 * `brotliCompressSync` makes and inflates back. Anywhere else, or if anything about it fails,
 * every block goes through the public functions (slower on Node 24, the same bytes).
 */
import zlib, { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/** Node's Brotli handle as its zlib.js drives it (lib/zlib.js, Node 20, 22 and 24). */
interface NativeHandle {
  init(params: Uint32Array, writeState: Uint32Array, processCallback: () => void): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
}

/** The stream object around a handle: a native error destroys it (zlibOnError), with the error. */
interface Engine {
  _handle?: NativeHandle;
  destroyed: boolean;
  errored: Error | null;
  on(event: 'error', listener: (e: Error) => void): unknown;
}

/** Node majors whose zlib.js drives the handle as NativeHandle says: tested on 20.20, 22.23 and 24.21. */
const KNOWN_MAJORS = new Set([20, 22, 24]);
const MAJOR = Number(process.versions.node.split('.')[0]);

/** Node's own parameter array: a slot per parameter id, 0xFFFFFFFF where unset. */
const PARAM_SLOTS =
  Math.max(...Object.entries(constants).map(([k, v]) => (k.startsWith('BROTLI_PARAM_') ? (v as number) : 0))) + 1;

function paramArray(params: Readonly<Record<number, number>>): Uint32Array {
  const a = new Uint32Array(PARAM_SLOTS).fill(0xffff_ffff);
  for (const [k, v] of Object.entries(params)) a[Number(k)] = v;
  return a;
}

/**
 * One handle, initialised again per call. `run` returns a view of an output buffer reused by the
 * next call: the caller copies what it keeps.
 */
class ReusedHandle {
  private engine: Engine | undefined;
  private readonly state = new Uint32Array(2);
  private out: Buffer;

  constructor(
    private readonly make: () => Engine,
    private readonly initialOut: number,
  ) {
    this.out = Buffer.allocUnsafe(initialOut);
  }

  get bufferBytes(): number {
    return this.out.length;
  }

  run(input: Uint8Array, params: Uint32Array): Buffer {
    let engine = this.engine;
    if (engine === undefined || engine.destroyed) {
      engine = this.make();
      engine.on('error', () => {}); // the error is thrown from here (below); destroy() emits it again later
      this.engine = engine;
    }
    const handle = engine._handle!;
    handle.init(params, this.state, noop);
    let inOff = 0;
    let inLeft = input.length;
    let outOff = 0;
    for (;;) {
      handle.writeSync(
        constants.BROTLI_OPERATION_FINISH,
        input,
        inOff,
        inLeft,
        this.out,
        outOff,
        this.out.length - outOff,
      );
      if (engine.destroyed) throw engine.errored ?? new Error('brotli: the stream failed');
      const outLeft = this.state[0]!;
      const inAfter = this.state[1]!;
      inOff += inLeft - inAfter;
      inLeft = inAfter;
      outOff = this.out.length - outLeft;
      if (outLeft > 0) {
        if (this.out.length <= KEEP_OUT_BYTES) return this.out.subarray(0, outOff);
        // A block this large (a line of megabytes) is rare: its result is its own, and the
        // buffer kept for the next block goes back to its first size, not pinned for the thread's life.
        const result = this.out.subarray(0, outOff);
        this.out = Buffer.allocUnsafe(this.initialOut);
        return result;
      }
      // The output is full: a larger buffer, the bytes so far kept, and on.
      const larger = Buffer.allocUnsafe(this.out.length * 2);
      this.out.copy(larger, 0, 0, outOff);
      this.out = larger;
    }
  }
}

const noop = () => {};
/** An output buffer grown past this is not kept for the next call. */
const KEEP_OUT_BYTES = 1024 * 1024;

/** What blocks are compressed with (schema 6): quality 1, a 64 KiB window, text mode. */
export const BLOCK_BROTLI_PARAMS: Readonly<Record<number, number>> = {
  [constants.BROTLI_PARAM_QUALITY]: 1,
  [constants.BROTLI_PARAM_LGWIN]: 16,
  [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
};

/** The public functions, used where the handle is not (or is no longer) trusted. */
function compressPublic(payload: Uint8Array): Buffer {
  return brotliCompressSync(payload, {
    // zlib's output chunk is 16 KiB by default, for a block that compresses to 1-3 KB: an eighth
    // of the payload halves the bytes allocated (the path before this module; the same bytes).
    chunkSize: Math.max(1024, payload.length >> 3),
    params: { ...BLOCK_BROTLI_PARAMS, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length },
  });
}

let encoder: ReusedHandle | undefined;
let decoder: ReusedHandle | undefined;
/** undefined: not tried yet; false: the public functions for the rest of this thread's life. */
let handleTrusted: boolean | undefined = KNOWN_MAJORS.has(MAJOR) ? undefined : false;
const encodeParams = paramArray(BLOCK_BROTLI_PARAMS);
const SIZE_HINT = constants.BROTLI_PARAM_SIZE_HINT;
const decodeParams = paramArray({});
/** Blocks a thread inflates with the public function before it tries the handle (the agent's first lookups). */
const PUBLIC_INFLATES = 16;
let inflatedBefore = 0;

/** A block's payload compressed (a Buffer of its own). */
export function compressBlockPayload(payload: Uint8Array): Buffer {
  if (handleTrusted === false) return compressPublic(payload);
  try {
    encoder ??= new ReusedHandle(() => zlib.createBrotliCompress() as unknown as Engine, 64 * 1024);
    encodeParams[SIZE_HINT] = payload.length;
    const out = Buffer.from(encoder.run(payload, encodeParams));
    if (handleTrusted === undefined) handleTrusted = proves(payload, out);
    return handleTrusted ? out : compressPublic(payload);
  } catch {
    handleTrusted = false;
    return compressPublic(payload);
  }
}

/**
 * A block inflated. The result is a view of a buffer the next call on this thread reuses where
 * the handle is in use: read it (decodeBlock copies what it keeps) before inflating another.
 */
export function decompressBlock(data: Uint8Array): Buffer {
  // A one-shot lookup inflates a few blocks: the public function, without the first-use check.
  if (brotliPath() === 'untried' && ++inflatedBefore > PUBLIC_INFLATES) compressBlockPayload(Buffer.from('claw-trace'));
  if (brotliPath() !== 'handle') return brotliDecompressSync(data);
  decoder ??= newDecoder();
  // A corrupt block throws here, as brotliDecompressSync would; the next call starts a new stream.
  return decoder.run(data, decodeParams);
}

/**
 * The handle's first block against the public functions: the same bytes, they inflate back, and
 * the decoder's handle inflates them back too (it is trusted with the encoder's).
 */
function proves(payload: Uint8Array, out: Buffer): boolean {
  try {
    if (!out.equals(compressPublic(payload)) || !brotliDecompressSync(out).equals(payload)) return false;
    decoder ??= newDecoder();
    return decoder.run(out, decodeParams).equals(payload);
  } catch {
    return false;
  }
}

function newDecoder(): ReusedHandle {
  return new ReusedHandle(() => zlib.createBrotliDecompress() as unknown as Engine, 256 * 1024);
}

/** Which path this thread uses (tests, the README's claim): 'handle', 'public', or 'untried'. */
export function brotliPath(): 'handle' | 'public' | 'untried' {
  return handleTrusted === undefined ? 'untried' : handleTrusted ? 'handle' : 'public';
}

/** Bytes this thread's encoder and decoder keep between blocks (tests: a large block is not pinned). */
export function keptBufferBytes(): number {
  return (encoder?.bufferBytes ?? 0) + (decoder?.bufferBytes ?? 0);
}
