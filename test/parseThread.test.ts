/**
 * The backfill's parse thread (src/intake/parseThread.ts) sizes its own young generation with a
 * V8 flag, which is the whole process's: threads started after it (the export thread after a bulk
 * load) must get the process's own size again. (Found by session 8's review.)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO } from './helpers.js';
import { tempDirEach } from './support/tempDir.js';

const t = suite('parseThread');
const dir = tempDirEach(t, 'parseThread');
const dist = (p: string) => JSON.stringify(path.join(REPO, 'dist', p));

t('the parse thread V8 flag does not reach the threads started after it', () => {
  // A worker's new space after churning: sized by --max-semi-space-size as it was when it started.
  const script = `
    import { Worker } from 'node:worker_threads';
    import { writeFileSync } from 'node:fs';
    import { RecordIndex } from ${dist('src/store/recordIndex.js')};
    import { intakeFile } from ${dist('src/intake/intakeFile.js')};
    import { combined } from ${dist('bench/lines.js')};
    const newSpace = () => new Promise((resolve) => {
      const w = new Worker("import v8 from 'node:v8'; import { parentPort } from 'node:worker_threads'; let k = []; for (let i = 0; i < 3e6; i++) { k.push({ i, s: 'x' + i }); if (k.length > 200000) k = []; } parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);", { eval: true });
      w.once('message', (m) => { void w.terminate(); resolve(m); });
    });
    const before = await newSpace();
    const file = process.argv[2] + '/c.log';
    const lines = []; for (let i = 0; i < 60000; i++) lines.push(combined(i));
    writeFileSync(file, lines.join('\\n') + '\\n');
    const idx = new RecordIndex(process.argv[2] + '/i.db');
    const r = await intakeFile(idx, file, { parseThread: true });
    idx.close();
    const after = await newSpace();
    console.log(JSON.stringify({ parseThread: r.parseThread, before, after }));
  `;
  const f = path.join(dir(), 'probe.mjs');
  writeFileSync(f, script);
  const r = spawnSync(process.execPath, ['--max-semi-space-size=4', f, dir()], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { parseThread: boolean; before: number; after: number };
  assert.is(o.parseThread, true, 'the file went through the parse thread');
  // The thread's 16 MiB semi-spaces give a new space of 32 MiB or more; the process's 4, ~8 MiB
  // (Node 24 reported 8.75 MiB for a worker made at start, 8 MiB after the flag was set back).
  assert.ok(
    o.after <= o.before * 1.25,
    `a worker's new space: ${o.before / 2 ** 20} MiB before, ${o.after / 2 ** 20} MiB after`,
  );
});

t.run();
