/**
 * Backfill and live speed (issue 3's targets). Run by hand: `npm run bench:ingest [-- --gb 1]`.
 *
 * 1. Backfill end to end (`claw-trace ingest` as a process: read, parse, index) on generated
 *    nginx combined and claw_json files; lines/s and peak RSS. Where lnav is installed, the same
 *    file through `lnav -n` (load, parse, count) in the same run, and the ratio.
 * 2. Peak RSS on a file of --gb gigabytes (default 1).
 * 3. Live: the tailer follows a file written at 5,000 lines/s; time from write to commit, p50/p99.
 * 4. Live into a large index (`--large 1000000,3000000`: one per size; `--large-only`: only this): commit time and CPU,
 *    write amplification (bytes written to storage / log bytes appended), index size / log size,
 *    lookups by request ID afterwards (issue 14's targets).
 * Backfills print write amplification (the child's /proc/self/io at exit, via ioAtExit.ts) and
 * the index's size per log byte next to their speed.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AGENT_INDEX_OPTIONS } from '../src/agent/agent.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { Tailer } from '../src/tail/tailer.js';
import { cliArgs } from './cli.js';
import { clawJson, combined, generate } from './lines.js';
const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const argList = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return (i > 0 ? process.argv[i + 1] : dflt).split(',').map(Number);
};
const GB = arg('gb', 1);
const dir = mkdtempSync(path.join(tmpdir(), 'claw-bench-'));
const IO_AT_EXIT = pathToFileURL(path.resolve(path.dirname(new URL(import.meta.url).pathname), 'ioAtExit.js')).href;
const size = (f) => {
    try {
        return statSync(f).size;
    }
    catch {
        return 0;
    }
};
/** `claw-trace ingest` as a process; with what it wrote to storage and the index's size, per log byte. */
function ingest(file, extra = []) {
    const db = path.join(dir, `${path.basename(file)}.db`);
    const io = path.join(dir, 'io.txt');
    rmSync(db, { force: true });
    rmSync(io, { force: true });
    const r = spawnSync(process.execPath, ['--import', IO_AT_EXIT, ...cliArgs('ingest', '--db', db, '--json', ...extra, file)], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, BENCH_IO_OUT: io } });
    if (r.status !== 0)
        throw new Error(`ingest failed: ${r.stderr}`);
    const logBytes = size(file);
    const written = Number(readFileSync(io, 'utf8'));
    const indexPerLog = (size(db) + size(`${db}-wal`)) / logBytes;
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    return { ...JSON.parse(r.stdout), writeAmp: written > 0 ? written / logBytes : undefined, indexPerLog };
}
const amp = (s) => `writes ${s.writeAmp?.toFixed(2) ?? '?'}x the log, index ${s.indexPerLog.toFixed(2)}x the log`;
function lnav(file, table) {
    if (spawnSync('sh', ['-c', 'command -v lnav']).status !== 0)
        return undefined;
    const t = process.hrtime.bigint();
    const r = spawnSync('lnav', ['-n', '-c', `;SELECT count(*) FROM ${table}`, file], {
        encoding: 'utf8',
        env: { ...process.env, HOME: dir },
    });
    if (r.status !== 0)
        return undefined;
    return Number(process.hrtime.bigint() - t) / 1e9;
}
const fmt = (n) => Math.round(n).toLocaleString('en-US');
/** Appends `make(i)` lines to `file` at `rate` lines/s for `ms`; returns how many were written. */
async function writeAtRate(file, make, rate, ms, onWrite) {
    let seq = 0;
    const started = Date.now();
    await new Promise((resolve) => {
        const timer = setInterval(() => {
            const due = Math.floor(((Date.now() - started) / 1000) * rate);
            const batch = [];
            const now = process.hrtime.bigint();
            for (; seq < due; seq++) {
                batch.push(make(seq));
                onWrite?.(seq, now);
            }
            if (batch.length)
                appendFileSync(file, `${batch.join('\n')}\n`);
            if (Date.now() - started >= ms) {
                clearInterval(timer);
                resolve();
            }
        }, 10);
    });
    return seq;
}
/** Bytes this process has caused to be written to storage (Linux), or undefined. */
function writtenBytes() {
    try {
        return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
    }
    catch {
        return undefined;
    }
}
/**
 * The agent's steady state: live claw_json lines into an index that already holds 1M of them
 * (random request IDs: each commit rewrites every index leaf it touched), with the agent's
 * settings. Commit time is time the agent's API thread is blocked.
 */
async function liveIntoLargeIndex(rows) {
    console.log(`live into a large index: ${fmt(rows)} claw_json rows, then 5,000 lines/s for 20 s (the agent's cache and checkpoint settings)`);
    const seed = path.join(dir, 'seed.log');
    generate(seed, (i) => clawJson(i + 100_000_000), rows * 980);
    const seedBytes = size(seed);
    const db = path.join(dir, 'large.db');
    let idx = new RecordIndex(db);
    idx.beginBulkLoad();
    await intakeFile(idx, seed, { final: true });
    idx.endBulkLoad();
    idx.close();
    rmSync(seed);
    idx = new RecordIndex(db, AGENT_INDEX_OPTIONS);
    const commit = idx.commitBatch;
    const times = [];
    let cpuMicros = 0;
    // Each commit timed (wall and CPU) by wrapping the index's own function.
    idx.commitBatch = (...a) => {
        const c = process.cpuUsage();
        const t = performance.now();
        commit(...a);
        times.push(performance.now() - t);
        const d = process.cpuUsage(c);
        cpuMicros += d.user + d.system;
    };
    const live = path.join(dir, 'live-large.log');
    writeFileSync(live, '');
    const tailer = new Tailer(idx, { sources: [{ path: live, format: 'nginx-claw_json' }] });
    await tailer.start();
    const w0 = writtenBytes();
    const n = await writeAtRate(live, clawJson, 5000, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    await tailer.stop();
    // What is still in the WAL is written again by a checkpoint: count it now, not never.
    idx.db.pragma('wal_checkpoint(TRUNCATE)');
    const w1 = writtenBytes();
    idx.close();
    // This process also wrote the log itself (the file the tailer follows): not the index's doing.
    const logBytes = size(live);
    const indexPerLog = (size(db) + size(`${db}-wal`)) / (seedBytes + size(live));
    const lookups = [];
    const reader = new RecordIndex(db);
    for (let k = 0; k < 500; k++) {
        const id = JSON.parse(clawJson(100_000_000 + Math.floor(Math.random() * rows))).req_id;
        const t = performance.now();
        if (reader.byRequestId(id).length !== 1)
            throw new Error(`lookup of ${id} found no line`);
        lookups.push(performance.now() - t);
    }
    reader.close();
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    lookups.sort((a, b) => a - b);
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
    console.log(`  ${fmt(n)} lines in ${fmt(times.length)} commits: commit p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; commits took ${((cpuMicros / 1e6 / 20) * 100).toFixed(0)}% of a core ` +
        `(${(cpuMicros / n).toFixed(1)} us a line); ` +
        (w0 !== undefined && w1 !== undefined
            ? `${fmt((w1 - w0 - logBytes) / 1e6 / 20)} MB/s written to disk by the index (write amplification ${((w1 - w0 - logBytes) / logBytes).toFixed(2)}x, target <= 3x)`
            : 'disk writes not measurable here') +
        `; index ${indexPerLog.toFixed(2)}x the log (target <= 1.0x); lookup by request ID median ${lookups[250].toFixed(3)} ms, p99 ${lookups[495].toFixed(3)} ms (a new connection; target <= 2 ms)`);
}
try {
    if (!process.argv.includes('--large-only'))
        await everythingElse();
    for (const rows of argList('large', '1000000'))
        await liveIntoLargeIndex(rows);
}
finally {
    rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}`);
async function everythingElse() {
    console.log('backfill, end to end (claw-trace ingest as a process: read + parse + index, one core)');
    for (const [name, make, target, table] of [
        ['nginx combined', combined, 200_000, 'access_log'],
        ['nginx claw_json', clawJson, 120_000, 'json_log'],
    ]) {
        const file = path.join(dir, `${name.replace(' ', '-')}.log`);
        const n = generate(file, make, 170e6);
        const s = ingest(file);
        const l = lnav(file, table);
        console.log(`  ${name.padEnd(16)} ${fmt(s.linesPerSecond).padStart(9)} lines/s (target >= ${fmt(target)}: ${s.linesPerSecond >= target ? 'ok' : 'MISSED'}), ` +
            `${fmt(n)} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB, peak RSS ${s.maxRssMB} MB, ${amp(s)}` +
            (l !== undefined
                ? `; lnav ${fmt(n / l)} lines/s, claw-trace/lnav ${(n / s.seconds / (n / l)).toFixed(2)}x`
                : '; lnav not installed'));
        rmSync(file);
    }
    console.log(`memory on a ${GB} GB file`);
    const big = path.join(dir, 'big.log');
    const n = generate(big, combined, GB * 1e9);
    const s = ingest(big);
    console.log(`  ${fmt(n)} lines, ${(statSync(big).size / 1e9).toFixed(2)} GB: ${fmt(s.linesPerSecond)} lines/s, peak RSS ${s.maxRssMB} MB (target <= 200 MB: ${s.maxRssMB <= 200 ? 'ok' : 'MISSED'}), ${amp(s)}`);
    rmSync(big);
    console.log('live: a file written at 5,000 lines/s for 10 s, followed by the tailer');
    const live = path.join(dir, 'live.log');
    writeFileSync(live, '');
    const idx = new RecordIndex(path.join(dir, 'live.db'));
    const written = new Map();
    const latencies = [];
    const tailer = new Tailer(idx, {
        sources: [{ path: live }],
        onCommit: (records) => {
            const now = process.hrtime.bigint();
            for (const r of records) {
                const seq = r.lineNo - 1; // line n of the file is request n - 1
                const at = written.get(seq);
                if (at !== undefined)
                    latencies.push(Number(now - at) / 1e6);
            }
        },
    });
    await tailer.start();
    const seq = await writeAtRate(live, combined, 5000, 10_000, (i, at) => written.set(i, at));
    const deadline = Date.now() + 5000;
    while (latencies.length < seq && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    await tailer.stop();
    idx.close();
    latencies.sort((a, b) => a - b);
    const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    console.log(`  ${fmt(seq)} lines written, ${fmt(latencies.length)} committed; write to queryable: p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${q(1).toFixed(0)} ms (target p99 <= 300 ms: ${q(0.99) <= 300 ? 'ok' : 'MISSED'})`);
}
//# sourceMappingURL=ingest.js.map