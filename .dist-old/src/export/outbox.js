/**
 * The outbox: spans wait in SQLite until the OTLP endpoint accepts them, so an outage or a
 * restart loses nothing. One row per trace; exporting a trace again (a late line) replaces its
 * waiting row, so the endpoint gets each span ID once with its latest content. Over the cap the
 * oldest traces are dropped and counted.
 *
 * It is an SQLite database of its own beside the index (`<index>.outbox.db`): SQLite has one
 * writer per database, and an outbox inside the index made the intake wait on the exporter's
 * transactions (measured: ingest 32% slower with export on; see bench/export.ts).
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createPrivate, processAlive } from '../store/recordIndex.js';
import Database from '../store/sqlite.js';
import { SCOPE } from './spans.js';
/** One trace's spans as the outbox stores them. */
export function packSpans(traceId, spans) {
    const resources = [];
    const out = { t: traceId, r: [], s: [] };
    for (const sp of spans) {
        let r = resources.indexOf(sp.resource);
        if (r < 0) {
            r = resources.push(sp.resource) - 1;
            out.r.push(sp.resource.attributes);
        }
        out.s.push({
            n: sp.name,
            k: sp.kind,
            s: sp.spanContext().spanId,
            p: sp.parentSpanContext?.spanId,
            st: sp.startTime,
            et: sp.endTime,
            a: sp.attributes,
            e: sp.events.map((e) => ({ n: e.name, t: e.time, a: e.attributes })),
            c: sp.status,
            r,
        });
    }
    return JSON.stringify(out);
}
const diff = (a, b) => {
    let s = b[0] - a[0];
    let ns = b[1] - a[1];
    if (ns < 0) {
        s -= 1;
        ns += 1e9;
    }
    return [Math.max(0, s), s < 0 ? 0 : ns];
};
/** Stored spans back to ReadableSpans; `resources` shares equal resources across traces (one per hop in the request). */
export function unpackSpans(data, resources) {
    const t = JSON.parse(data);
    const res = t.r.map((attrs) => {
        const key = JSON.stringify(attrs);
        let r = resources.get(key);
        if (!r) {
            r = resourceFromAttributes(attrs);
            resources.set(key, r);
        }
        return r;
    });
    return t.s.map((s) => ({
        name: s.n,
        kind: s.k,
        spanContext: () => ({ traceId: t.t, spanId: s.s, traceFlags: TraceFlags.SAMPLED }),
        parentSpanContext: s.p ? { traceId: t.t, spanId: s.p, traceFlags: TraceFlags.SAMPLED } : undefined,
        startTime: s.st,
        endTime: s.et,
        duration: diff(s.st, s.et),
        status: s.c,
        attributes: s.a,
        links: [],
        events: s.e.map((e) => ({ name: e.n, time: e.t, attributes: e.a, droppedAttributesCount: 0 })),
        ended: true,
        resource: res[s.r],
        instrumentationScope: SCOPE,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
    }));
}
const OUTBOX_SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id    TEXT    NOT NULL UNIQUE,
    spans       INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    data        TEXT    NOT NULL
  );
  -- The exporter's cursor per index ('cursor:<index_id>': the last batch handled) and its counters.
  CREATE TABLE IF NOT EXISTS export_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;
/** The outbox database beside an index: `/var/x/index.db` -> `/var/x/index.outbox.db`. */
export function outboxPathFor(indexPath) {
    return `${indexPath.replace(/\.db$/, '')}.outbox.db`;
}
export function openOutboxDatabase(indexPath) {
    createPrivate(outboxPathFor(indexPath)); // 0600 (its WAL and SHM too), like the index
    const db = new Database(outboxPathFor(indexPath));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(OUTBOX_SCHEMA);
    return db;
}
/** Which file the outbox is (device + inode of its path), or undefined when it is gone. */
export function outboxFileId(indexPath) {
    const s = statSync(outboxPathFor(indexPath), { throwIfNoEntry: false });
    return s ? `${s.dev}:${s.ino}` : undefined;
}
/**
 * The outbox file was deleted or replaced under an open connection (an operator's `rm`, a
 * restore, a clean-up script): the connection still holds the old file, unlinked, and every
 * span it waits for would be gone at the next start (and, for a second connection, at once).
 * Rebuilt from what the connection still sees: its rows and export_state (the cursor, the
 * counters) are copied with `VACUUM INTO` to a new file put at the path; a file that replaced
 * it is moved aside, not overwritten. The old -wal and -shm left at the path belong to the old
 * file and would be replayed into the new one: removed first. Returns the new connection and
 * what happened. When the file now at the path is an outbox this process already rebuilt (two
 * export threads), it is taken as it is and the old connection is left open: closing it could
 * remove the new file's -wal by name.
 */
export function rebuildOutbox(old, indexPath) {
    const file = outboxPathFor(indexPath);
    if (existsSync(file)) {
        let ours = false;
        try {
            const other = new Database(file, { readonly: true, fileMustExist: true });
            try {
                ours = stateValue(other, 'exporter_pid') === process.pid;
            }
            finally {
                other.close();
            }
        }
        catch {
            /* not an outbox */
        }
        if (ours)
            return { db: openOutboxDatabase(indexPath), adopted: true };
    }
    const tmp = `${file}.rebuild-${process.pid}`;
    rmSync(tmp, { force: true });
    createPrivate(tmp); // 0600: VACUUM INTO accepts an empty file and keeps its mode
    old.prepare('VACUUM INTO ?').run(tmp);
    // Until the new file is in place the old connection stays usable (a failure leaves it as it was).
    let movedAside;
    if (existsSync(file)) {
        movedAside = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        renameSync(file, movedAside);
    }
    for (const x of ['-wal', '-shm', '-journal'])
        rmSync(file + x, { force: true });
    renameSync(tmp, file);
    old.close();
    for (const x of ['-wal', '-shm'])
        rmSync(file + x, { force: true }); // in case the close left the old ones again
    return { db: openOutboxDatabase(indexPath), movedAside, adopted: false };
}
/**
 * The process that exports this index now, if another one: one exporter per index (two would
 * share the cursor and the change log). The agent's exporter also sends what `ingest` commits.
 */
export function otherExporter(db) {
    const pid = stateValue(db, 'exporter_pid');
    return pid !== undefined && pid !== process.pid && processAlive(pid) ? pid : undefined;
}
/** Claims the index's export for this process (see otherExporter); `release` gives it back. */
export function claimExport(db, release = false) {
    if (release)
        db.prepare(`DELETE FROM export_state WHERE key = 'exporter_pid' AND value = ?`).run(process.pid);
    else
        db.prepare(`INSERT INTO export_state (key, value) VALUES ('exporter_pid', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(process.pid);
}
/** Counters and the cursor, kept in export_state so they survive restarts. */
export function stateValue(db, key) {
    return db.prepare(`SELECT value FROM export_state WHERE key = ?`).pluck().get(key);
}
/**
 * The outbox's size lives in export_state, updated in the same transactions as its rows: the
 * thread that fills it and the one that empties it (and a restart) all see the same figures.
 */
export class Outbox {
    db;
    maxBytes;
    st;
    constructor(db, maxBytes) {
        this.db = db;
        this.maxBytes = maxBytes;
        this.st = {
            replace: db.prepare(`DELETE FROM outbox WHERE trace_id = ? RETURNING spans, bytes`),
            insert: db.prepare(`INSERT INTO outbox (trace_id, spans, bytes, created_at, data) VALUES (?, ?, ?, ?, ?)`),
            oldest: db.prepare(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 256) RETURNING spans, bytes`),
            take: db.prepare(`SELECT id, trace_id, spans, data FROM outbox WHERE id > ? ORDER BY id LIMIT 1000`),
            ack: db.prepare(`DELETE FROM outbox WHERE id = ? RETURNING spans, bytes`),
            set: db.prepare(`INSERT INTO export_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
            add: db.prepare(`INSERT INTO export_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value`),
            get: db.prepare(`SELECT key, value FROM export_state WHERE key IN ('outbox_traces', 'outbox_spans', 'outbox_bytes', 'dropped_spans', 'dropped_traces')`),
        };
        db.transaction(() => {
            if (stateValue(db, 'outbox_traces') !== undefined)
                return;
            const t = db
                .prepare(`SELECT count(*) AS n, coalesce(sum(spans), 0) AS spans, coalesce(sum(bytes), 0) AS bytes FROM outbox`)
                .get();
            this.st.set.run('outbox_traces', t.n);
            this.st.set.run('outbox_spans', t.spans);
            this.st.set.run('outbox_bytes', t.bytes);
        }).immediate();
    }
    change(traces, spans, bytes) {
        if (traces)
            this.st.add.run('outbox_traces', traces);
        if (spans)
            this.st.add.run('outbox_spans', spans);
        if (bytes)
            this.st.add.run('outbox_bytes', bytes);
    }
    /**
     * Adds traces (replacing a waiting older version of each), enforces the cap and, with them,
     * stores the cursor they cover: one transaction, so a crash never separates the two.
     */
    put(entries, cursor, now = Date.now()) {
        if (entries.length === 0 && cursor === undefined)
            return;
        this.db
            .transaction(() => {
            let traces = 0;
            let spans = 0;
            let bytes = 0;
            for (const e of entries) {
                const old = this.st.replace.get(e.traceId);
                if (old) {
                    traces--;
                    spans -= old.spans;
                    bytes -= old.bytes;
                }
                const size = Buffer.byteLength(e.data);
                this.st.insert.run(e.traceId, e.spans, size, now, e.data);
                traces++;
                spans += e.spans;
                bytes += size;
            }
            this.change(traces, spans, bytes);
            if (this.stats().bytes > this.maxBytes)
                this.dropOldest();
            if (cursor !== undefined)
                this.st.set.run(cursor[0], cursor[1]);
        })
            .immediate();
    }
    dropOldest() {
        const { traces: left, bytes } = this.stats();
        let spans = 0;
        let traces = 0;
        let size = 0;
        while (bytes - size > this.maxBytes && left - traces > 0) {
            for (const r of this.st.oldest.all()) {
                spans += r.spans;
                traces++;
                size += r.bytes;
            }
        }
        this.change(-traces, -spans, -size);
        this.st.add.run('dropped_spans', spans);
        this.st.add.run('dropped_traces', traces);
    }
    /** The oldest waiting traces after row `afterId`, up to about `maxSpans` spans. */
    take(maxSpans, afterId = 0) {
        const rows = [];
        let spans = 0;
        for (const r of this.st.take.all(afterId)) {
            if (rows.length > 0 && spans + r.spans > maxSpans)
                break;
            rows.push(r);
            spans += r.spans;
        }
        return rows;
    }
    /** Delivered: these rows go (a row replaced meanwhile by a newer version has another id and stays). */
    ack(rows) {
        this.db
            .transaction(() => {
            let traces = 0;
            let spans = 0;
            let bytes = 0;
            for (const r of rows) {
                const gone = this.st.ack.get(r.id);
                if (gone) {
                    traces++;
                    spans += gone.spans;
                    bytes += gone.bytes;
                }
            }
            this.change(-traces, -spans, -bytes);
            this.st.add.run('delivered_spans', spans);
        })
            .immediate();
    }
    /**
     * An emptied outbox gives its disk space back: the free pages (a burst or an outage may have
     * grown it to its cap) go with a VACUUM (quick: nothing is left to copy), the WAL is truncated.
     * Returns the bytes given back.
     */
    compact(minFreeBytes = 1024 * 1024) {
        if (this.stats().traces > 0)
            return 0;
        const pageSize = this.db.pragma('page_size', { simple: true });
        const free = this.db.pragma('freelist_count', { simple: true }) * pageSize;
        if (free < minFreeBytes)
            return 0;
        this.db.exec('VACUUM');
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        return free;
    }
    stats() {
        const v = new Map(this.st.get.all().map((r) => [r.key, r.value]));
        return {
            traces: v.get('outbox_traces') ?? 0,
            spans: v.get('outbox_spans') ?? 0,
            bytes: v.get('outbox_bytes') ?? 0,
            droppedSpans: v.get('dropped_spans') ?? 0,
            droppedTraces: v.get('dropped_traces') ?? 0,
        };
    }
}
//# sourceMappingURL=outbox.js.map