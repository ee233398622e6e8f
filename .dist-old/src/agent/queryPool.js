/**
 * Query threads for the API's heavy routes (/v1/failures, the /v1/requests window) and the
 * recent-5xx gauge of /metrics: diagnosis costs tens of ms per failure, and on the agent's own
 * thread 10 clients of /v1/failures made /healthz answer after 22.8 s (and the tailer wait).
 * Each thread has its own read-only connection (WAL: readers never block the intake's writer)
 * and runs one query at a time; a few more wait in line, and beyond that the caller is told to
 * come back (the API answers 503 with Retry-After) instead of piling work up. Threads start
 * when a query comes and end after IDLE_MS without one: each holds its own V8 heap and page
 * cache (~9 MB of RSS apiece measured with the agent), which an agent nobody asks should not pay.
 */
import { Worker } from 'node:worker_threads';
export class PoolBusyError extends Error {
    retryAfterS;
    name = 'PoolBusyError';
    constructor(retryAfterS, message = 'the query threads are busy; try again shortly') {
        super(message);
        this.retryAfterS = retryAfterS;
    }
}
/** More thread deaths than this within DEATH_WINDOW_MS: the threads cannot work (say, the index cannot be opened). */
const MAX_DEATHS = 20;
const DEATH_WINDOW_MS = 60_000;
export class QueryPool {
    file;
    opts;
    slots = [];
    waiting = [];
    next = 0;
    /** When threads died lately (not queries abandoned for their time: those are always replaced). */
    deaths = [];
    timedOut = new WeakSet();
    stopped = false;
    /** Threads kept dying: none is started any more. */
    gaveUp = false;
    threads;
    idleMs;
    queue;
    timeoutMs;
    constructor(file, opts = {}) {
        this.file = file;
        this.opts = opts;
        this.threads = Math.max(1, opts.threads ?? 2);
        this.queue = Math.max(0, opts.queue ?? 8);
        this.timeoutMs = opts.timeoutMs ?? 60_000;
        this.idleMs = opts.idleMs ?? 30_000;
    }
    /** Threads running now (started on demand, ended when idle). */
    get size() {
        return this.slots.length;
    }
    /** Ends an idle thread (taken out of the pool first, so its exit is not a death). */
    retire(slot) {
        const i = this.slots.indexOf(slot);
        if (i < 0 || slot.busy)
            return;
        this.slots.splice(i, 1);
        slot.worker.postMessage({ id: 0, stop: true });
    }
    spawn() {
        const worker = new Worker(new URL('./queryWorker.js', import.meta.url), { workerData: { file: this.file } });
        worker.unref();
        const slot = { worker };
        worker.on('message', (m) => {
            const b = slot.busy;
            if (!b || b.id !== m.id)
                return;
            clearTimeout(b.timer);
            slot.busy = undefined;
            if (m.error !== undefined)
                b.job.reject(new Error(m.error));
            else
                b.job.resolve(m.result);
            this.pump();
        });
        const lost = (e) => {
            const i = this.slots.indexOf(slot);
            if (i < 0)
                return;
            const b = slot.busy;
            slot.busy = undefined;
            if (b) {
                clearTimeout(b.timer);
                b.job.reject(e);
            }
            clearTimeout(slot.idle);
            this.slots.splice(i, 1);
            if (this.stopped)
                return;
            // A thread that died is replaced (the next query starts one): a query that ran too long
            // always; a crash too, unless threads keep dying (more than MAX_DEATHS in a minute: one that
            // cannot even open the index would die again at once). Deaths long ago do not count: an
            // agent runs for weeks.
            const now = Date.now();
            if (!this.timedOut.has(worker))
                this.deaths = [...this.deaths.filter((t) => now - t < DEATH_WINDOW_MS), now];
            if (this.deaths.length > MAX_DEATHS) {
                this.gaveUp = true;
                this.opts.onError?.(e, false);
                if (this.slots.length === 0)
                    this.failAll(e);
                return;
            }
            this.opts.onError?.(e, true);
            this.pump();
        };
        worker.on('error', lost);
        worker.on('exit', (code) => lost(new Error(`a query thread exited (code ${code})`)));
        return slot;
    }
    failAll(e) {
        for (const j of this.waiting.splice(0))
            j.reject(e);
    }
    /**
     * Runs `q` on a query thread; rejects with PoolBusyError when every thread is busy and the line
     * is full. `first`: goes to the head of the line and is never refused (the agent's own
     * /metrics gauge: one at a time, so it cannot pile up).
     */
    run(q, o = {}) {
        if (this.stopped)
            return Promise.reject(new PoolBusyError(10, 'the agent is stopping'));
        if (this.gaveUp && this.slots.length === 0)
            return Promise.reject(new PoolBusyError(60, "the query threads kept failing (see the agent's log); restart the agent"));
        const free = this.slots.some((s) => !s.busy) || (!this.gaveUp && this.slots.length < this.threads);
        if (!free && !o.first && this.waiting.length >= this.queue)
            return Promise.reject(new PoolBusyError(1));
        return new Promise((resolve, reject) => {
            if (o.first)
                this.waiting.unshift({ q, resolve, reject });
            else
                this.waiting.push({ q, resolve, reject });
            this.pump();
        });
    }
    /** Queries running and waiting now. */
    load() {
        return { running: this.slots.filter((s) => s.busy).length, waiting: this.waiting.length };
    }
    pump() {
        while (this.waiting.length > 0) {
            let slot = this.slots.find((s) => !s.busy);
            if (!slot) {
                if (this.gaveUp || this.slots.length >= this.threads)
                    return;
                slot = this.spawn();
                this.slots.push(slot);
            }
            const job = this.waiting.shift();
            clearTimeout(slot.idle);
            slot.idle = undefined;
            const id = ++this.next;
            const timer = setTimeout(() => {
                // Abandoned: the thread is ended (its query cannot be interrupted) and replaced.
                this.timedOut.add(slot.worker);
                void slot.worker.terminate();
            }, this.timeoutMs);
            slot.busy = { id, job, timer };
            slot.worker.postMessage({ id, q: job.q });
        }
        // Threads left without work end after a while.
        for (const s of this.slots) {
            if (s.busy || s.idle)
                continue;
            s.idle = setTimeout(() => {
                s.idle = undefined;
                this.retire(s);
            }, this.idleMs);
            s.idle.unref();
        }
    }
    async stop() {
        this.stopped = true;
        for (const j of this.waiting.splice(0))
            j.reject(new Error('the agent is stopping'));
        await Promise.all(this.slots.map(async (s) => {
            clearTimeout(s.idle);
            if (s.busy) {
                clearTimeout(s.busy.timer);
                s.busy.job.reject(new Error('the agent is stopping'));
                s.busy = undefined;
            }
            const exited = new Promise((resolve) => s.worker.once('exit', () => resolve()));
            s.worker.postMessage({ id: 0, stop: true });
            await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
            await s.worker.terminate();
        }));
    }
}
//# sourceMappingURL=queryPool.js.map