/**
 * `--json` output written with writeSync (src/cli/syncStdout.ts): all of it arrives even through a
 * pipe left non-blocking and full, and a reader that leaves early ends the writer quietly.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO } from './helpers.js';

const t = suite('syncStdout');
const MODULE = pathToFileURL(path.join(REPO, 'dist/src/cli/syncStdout.js')).href;
const BYTES = 4 * 1024 * 1024; // far more than a pipe holds (64 KiB)

/** Runs `script` (an ES module that has `stdoutSync`) with stdout a pipe read by `read`. */
function run(script: string, read: (out: NodeJS.ReadableStream) => Promise<Buffer>) {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { stdoutSync } from '${MODULE}';\n${script}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { out: read(child.stdout), exited, stderr: () => stderr };
}

t('all of a large write arrives, also when the pipe is non-blocking and full (EAGAIN)', async () => {
  // process.stdout opened first makes fd 1 non-blocking (libuv): writeSync then meets EAGAIN.
  const r = run(`process.stdout; stdoutSync.write('${'x'.repeat(63)}\\n'.repeat(${BYTES / 64}));`, async (out) => {
    const chunks: Buffer[] = [];
    for await (const c of out) {
      chunks.push(c as Buffer);
      await new Promise((resolve) => setImmediate(resolve)); // a slow reader: the pipe fills
    }
    return Buffer.concat(chunks);
  });
  const got = await r.out;
  assert.is(await r.exited, 0, r.stderr());
  assert.is(got.length, BYTES);
  assert.ok(/^(x{63}\n)+$/.test(got.toString()));
});

// Node's spawn gives the child a socket pair: the writer meets ECONNRESET when the reader left
// with data unread, EPIPE when not (ECONNRESET failed 1 run in 8 on Node 24 before it was handled).
t('a reader that leaves early ends the writer quietly, exit 0 (EPIPE, ECONNRESET)', async () => {
  for (let round = 0; round < 40; round++) {
    const r = run(`for (let i = 0; i < 64; i++) stdoutSync.write('y'.repeat(65536));`, async (out) => {
      const first = await new Promise<Buffer>((resolve) => out.once('data', resolve));
      (out as NodeJS.ReadableStream & { destroy(): void }).destroy();
      return first;
    });
    assert.ok((await r.out).length > 0);
    assert.is(await r.exited, 0, r.stderr());
    assert.is(r.stderr(), '');
  }
});

t.run();
