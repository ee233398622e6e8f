/**
 * The agent's query threads (src/agent/queryPool.ts): started when a query comes, ended when
 * idle (each costs its own V8 heap), a query abandoned for its time replaced, and a line that is
 * full refused with PoolBusyError, which the API answers as 503 + Retry-After.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PoolBusyError, QueryPool } from '../src/agent/queryPool.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { waitFor } from './support/wait.js';
const t = suite('queryPool');
let dir = '';
let db = '';
// The pool's threads and timers do not hold the process open (the agent's server does): this does.
let keepAlive;
t.before(() => {
    keepAlive = setInterval(() => { }, 1000);
    dir = mkdtempSync(path.join(tmpdir(), 'claw-pool-'));
    db = path.join(dir, 'index.db');
    new RecordIndex(db).close();
});
t.after(() => {
    clearInterval(keepAlive);
    rmSync(dir, { recursive: true, force: true });
});
const window = { kind: 'requests', args: { from: 0, to: Date.now(), limit: 10 } };
t('no thread until a query comes; the thread ends when idle and a later query starts one again', async () => {
    const pool = new QueryPool(db, { threads: 2, idleMs: 200 });
    try {
        assert.is(pool.size, 0, 'nothing started with the pool');
        const r = await pool.run(window);
        assert.equal(JSON.parse(r.json).requests, []);
        assert.is(pool.size, 1, 'one query, one thread');
        await waitFor('the idle thread to end', () => pool.size === 0, 5000);
        await pool.run(window);
        assert.is(pool.size, 1, 'started again');
    }
    finally {
        await pool.stop();
    }
});
t('a full line is refused with PoolBusyError; a query over its time is abandoned and the pool goes on', async () => {
    const pool = new QueryPool(db, { threads: 1, queue: 1, timeoutMs: 1 });
    const pool2 = new QueryPool(db, { threads: 1, queue: 0 });
    try {
        // Every query of `pool` outlives its 1 ms: each is abandoned (rejected), its thread replaced.
        const first = pool.run(window).then(() => 'answered', () => 'abandoned');
        assert.is(await first, 'abandoned');
        // One running, none may wait: the third is refused at once.
        const a = pool2.run(window);
        let refused;
        try {
            await pool2.run(window);
        }
        catch (e) {
            refused = e;
        }
        assert.ok(refused instanceof PoolBusyError, 'refused while the only thread is busy and the line is full');
        await a;
        await pool2.run(window); // free again
    }
    finally {
        await pool.stop();
        await pool2.stop();
    }
});
t.run();
//# sourceMappingURL=queryPool.test.js.map