/**
 * Soak: the agent as a process follows a log written at 2,000 lines/s while it is killed with
 * SIGKILL at random moments and the log is rotated by logrotate at random moments (rename +
 * create and copytruncate, with compress + delaycompress), then every line must be in the index
 * exactly once, and gaps recorded only for copytruncates.
 *
 * Bounded for `npm test` (CLAW_SOAK_SECONDS, default 15 per source kind); longer by hand:
 * `CLAW_SOAK_SECONDS=180 npm test -- soak`. Seeded (CLAW_SOAK_SEED) so a failure can be replayed;
 * CLAW_SOAK_ONLY=single or glob runs one of the two.
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess } from '../fixtures/lab/lab.js';
import { storedLines as linesOf, storedLineCount } from '../src/store/recordIndex.js';
import Database from '../src/store/sqlite.js';
import { combinedLine, lineNumberOf, prng } from './helpers.js';
import { type AgentProcess, startAgentProcess } from './support/agent.js';
import { assertTools, testNeeding } from './toolCheck.js';

const t = suite('soak');
const SECONDS = Number(process.env.CLAW_SOAK_SECONDS ?? 15);
const SEED = Number(process.env.CLAW_SOAK_SEED ?? 13);
const RATE = 2000;

let dir = '';
let agent: AgentProcess | undefined;
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-soak-'));
});
t.after.each(async () => {
  if (agent) await stopProcess(agent.p, 'SIGKILL');
  agent = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function look(db: string): { count: number; stored: number[]; gaps: number } {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    d.pragma('busy_timeout = 5000');
    const count = storedLineCount(d);
    return { count, stored: [], gaps: d.prepare('SELECT coalesce(sum(gaps), 0) FROM files').pluck().get() as number };
  } finally {
    d.close();
  }
}
function storedLines(db: string): number[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return linesOf(d)
      .map(lineNumberOf)
      .sort((a, b) => a - b);
  } finally {
    d.close();
  }
}

const withLogrotate = testNeeding(['logrotate'], 'soak.test (logrotate)', t);

const ONLY = process.env.CLAW_SOAK_ONLY; // 'single' or 'glob': one of the two
for (const glob of [false, true].filter((g) => ONLY === undefined || ONLY === (g ? 'glob' : 'single'))) {
  withLogrotate.run(
    `${SECONDS} s at ${RATE} lines/s, kill -9 and both rotations at random, ${glob ? 'a glob' : 'a single path'}: every line once, gaps only for copytruncates`,
    async () => {
      assertTools(withLogrotate.missing);
      const random = prng(SEED + (glob ? 1 : 0));
      const log = path.join(dir, 'access.log');
      const db = path.join(dir, 'i.db');
      const source = glob ? path.join(dir, 'access.log*') : log;
      writeFileSync(log, '');
      const yaml = `index: ${db}\nsources:\n  - path: "${source}"\nlog: { level: warn }\n`;
      // A loaded machine, and a backlog to read before the API listens: a generous bound.
      const start = async () => {
        agent = await startAgentProcess(dir, 'soak', yaml, {}, 60_000);
      };
      await start(); // the first start, on an empty file: nothing to skip

      let n = 0;
      const began = Date.now();
      const write = () => {
        const target = Math.floor(((Date.now() - began) / 1000) * RATE);
        if (target <= n) return;
        let s = '';
        for (; n < target; n++) s += `${combinedLine(n)}\n`;
        appendFileSync(log, s);
      };
      const writer = setInterval(write, 5);
      const stats = { kills: 0, create: 0, copytruncate: 0, rotatedWhileDown: 0 };
      const rotate = (kind: 'create' | 'copytruncate') => {
        write(); // the rotation runs on this thread: no line is written between copy and truncate
        const conf = path.join(dir, `lr-${kind}.conf`);
        writeFileSync(conf, `${log} {\n  rotate 1000\n  ${kind}\n  compress\n  delaycompress\n  missingok\n}\n`);
        const r = spawnSync('logrotate', ['-f', '-s', path.join(dir, 'lr.state'), conf], { encoding: 'utf8' });
        assert.is(r.status, 0, r.stderr);
        stats[kind]++;
        if (!agent) stats.rotatedWhileDown++;
      };
      try {
        while (Date.now() - began < SECONDS * 1000) {
          await sleep(200 + random() * 900);
          const what = random();
          if (what < 0.35) {
            // kill -9 at a random moment; rotate (maybe twice) while it is down; start it again
            const a = agent!;
            agent = undefined;
            await stopProcess(a.p, 'SIGKILL');
            stats.kills++;
            await sleep(random() * 400);
            if (random() < 0.5) rotate(random() < 0.5 ? 'create' : 'copytruncate');
            if (random() < 0.2) rotate(random() < 0.5 ? 'create' : 'copytruncate');
            await start();
          } else if (what < 0.7) {
            rotate('create');
          } else {
            rotate('copytruncate');
          }
        }
      } finally {
        clearInterval(writer);
      }
      write();
      const total = n;
      const caughtUpFrom = Date.now();
      const deadline = Date.now() + 60_000;
      while (look(db).count < total && Date.now() < deadline) await sleep(100);
      const catchUpMs = Date.now() - caughtUpFrom;
      await sleep(500); // nothing more arrives
      await stopProcess(agent!.p, 'SIGTERM', 15_000);
      assert.is(agent!.p.exitCode, 0, agent!.stderr());
      agent = undefined;

      const stored = storedLines(db);
      const seen = new Set<number>();
      const twice: number[] = [];
      for (const k of stored) {
        if (seen.has(k)) twice.push(k);
        seen.add(k);
      }
      const lost: number[] = [];
      for (let k = 0; k < total; k++) if (!seen.has(k)) lost.push(k);
      const { gaps } = look(db);
      const summary =
        `${total} lines in ${SECONDS} s, ${stats.kills} kill -9, ${stats.create} create + ${stats.copytruncate} copytruncate rotations (${stats.rotatedWhileDown} while down), ` +
        `${gaps} gaps, ${readdirSync(dir).filter((f) => f.startsWith('access.log')).length} files; caught up ${catchUpMs} ms after the writer stopped; lost ${lost.length}, twice ${twice.length}`;
      process.stdout.write(`\n  soak (${glob ? 'glob' : 'single path'}): ${summary}\n`);
      if (lost.length > 0 || twice.length > 0 || gaps > stats.copytruncate) {
        // Where the first lost line is, and what the index knows of the files: for the report.
        const k = lost[0] ?? twice[0];
        for (const f of readdirSync(dir)
          .filter((x) => x.startsWith('access.log'))
          .sort()) {
          const text = spawnSync(
            'sh',
            ['-c', `${f.endsWith('.gz') ? 'zcat' : 'cat'} '${path.join(dir, f)}' | grep -c '/r/${k} '`],
            { encoding: 'utf8' },
          ).stdout.trim();
          const ino = spawnSync('stat', ['-c', '%i %s', path.join(dir, f)], { encoding: 'utf8' }).stdout.trim();
          process.stdout.write(`    ${f} (ino size ${ino}): line ${k} ${text === '0' ? 'absent' : 'present'}\n`);
        }
        const d = new Database(db, { readonly: true });
        for (const row of d
          .prepare('SELECT id, path, dev, ino, fp_len, offset, line_no, gaps, updated_at FROM files ORDER BY id')
          .all())
          process.stdout.write(`    ${JSON.stringify(row)}\n`);
        d.close();
      }
      assert.equal(lost.slice(0, 20), [], `lost: ${summary}`);
      assert.equal(twice.slice(0, 20), [], `twice: ${summary}`);
      assert.ok(gaps <= stats.copytruncate, `gaps only for copytruncates: ${summary}`);
      assert.ok(stats.copytruncate === 0 || gaps > 0, `copytruncates are recorded: ${summary}`);
    },
  );
}

t.run();
