/**
 * Export speed (issue 5's targets). Run by hand: `npm run bench:export [-- --lines 100000]`.
 *
 * The same claw_json file (one request per line, ~5 spans each) is ingested by
 * `claw-trace ingest` as a process, without and with export to a local OTLP/HTTP receiver (a
 * plain node:http server that reads and counts; it stands in for the Collector and decodes
 * nothing, so the figure is claw-trace's, not the receiver's). Prints the ingest rate both ways,
 * the slowdown, spans/s delivered, and peak RSS (the outbox lives in SQLite, not in memory).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveExport } from '../src/export/config.js';
import { outboxPathFor } from '../src/export/outbox.js';
import { ExportPipeline } from '../src/export/pipeline.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { cliArgs } from './cli.js';
import { clawJson, generate } from './lines.js';
const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const LINES = arg('lines', 100_000);
const ROUNDS = arg('rounds', 3);
const dir = mkdtempSync(path.join(tmpdir(), 'claw-bench-export-'));
let bytesIn = 0;
let posts = 0;
const server = createServer((req, res) => {
    req.on('data', (d) => {
        bytesIn += d.length;
    });
    req.on('end', () => {
        posts++;
        res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') });
        res.end();
    });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;
async function ingest(file, exporting) {
    const db = path.join(dir, 'b.db');
    for (const f of [
        db,
        `${db}-wal`,
        `${db}-shm`,
        outboxPathFor(db),
        `${outboxPathFor(db)}-wal`,
        `${outboxPathFor(db)}-shm`,
    ])
        rmSync(f, { force: true });
    const args = cliArgs('ingest', '--db', db, '--json', ...(exporting ? ['--otlp-endpoint', url, '--export-wait', '10m'] : []), file);
    const t = process.hrtime.bigint();
    // Not spawnSync: the receiver runs in this process.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
        out += d;
    });
    const code = await new Promise((r) => child.on('exit', r));
    if (code !== 0)
        throw new Error(`ingest exited ${code}`);
    return { ...JSON.parse(out), wall: Number(process.hrtime.bigint() - t) / 1e9 };
}
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
    const file = path.join(dir, 'claw_json.log');
    generate(file, clawJson, LINES * 980 - 1);
    const plain = [];
    const withExport = [];
    const spansPerSec = [];
    let rss = 0;
    let spans = 0;
    for (let r = 0; r < ROUNDS; r++) {
        plain.push((await ingest(file, false)).linesPerSecond);
        const s = await ingest(file, true);
        withExport.push(s.linesPerSecond);
        spans = s.export.deliveredSpans;
        if (s.export.waitingSpans !== 0)
            throw new Error(`${s.export.waitingSpans} spans not delivered`);
        spansPerSec.push(spans / s.wall);
        rss = Math.max(rss, s.maxRssMB);
    }
    const slow = 1 - median(withExport) / median(plain);
    console.log(`export: ${fmt(LINES)} requests (claw_json), ${fmt(spans)} spans per run, median of ${ROUNDS} interleaved rounds`);
    console.log(`  ingest without export ${fmt(median(plain))} lines/s, with export ${fmt(median(withExport))} lines/s: slowed ${(slow * 100).toFixed(0)}% (target <= 20%: ${slow <= 0.2 ? 'ok' : 'MISSED'})`);
    console.log(`  delivered ${fmt(median(spansPerSec))} spans/s end to end, ingest start to outbox empty (target >= 50,000: ${median(spansPerSec) >= 50_000 ? 'ok' : 'MISSED'}); ${posts} POSTs, ${(bytesIn / 1e6).toFixed(0)} MB`);
    console.log(`  peak RSS with export ${rss} MB (the outbox is in SQLite; memory holds one POST's spans)`);
    // The two stages alone, in this process: assembling traces into the outbox, and the outbox to the receiver.
    const db = path.join(dir, 'stages.db');
    const idx = new RecordIndex(db);
    await intakeFile(idx, file);
    const config = resolveExport({ endpoint: url, joinWindowMs: 1 }, {}, {}).config;
    const p = new ExportPipeline(db, config, { startAfter: 0 });
    let t = process.hrtime.bigint();
    p.flushAll();
    while (p.tick()) {
        /* until every request is in the outbox */
    }
    const fill = Number(process.hrtime.bigint() - t) / 1e9;
    const queued = p.stats().spans;
    t = process.hrtime.bigint();
    while (p.stats().traces > 0)
        if ((await p.send()) === 'failed')
            throw new Error('the receiver refused');
    const drain = Number(process.hrtime.bigint() - t) / 1e9;
    await p.stop();
    idx.close();
    console.log(`  stages alone, one thread each: assemble + diagnose + outbox ${fmt(queued / fill)} spans/s; outbox -> receiver ${fmt(queued / drain)} spans/s (target >= 50,000: ${queued / drain >= 50_000 ? 'ok' : 'MISSED'})`);
}
finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}`);
//# sourceMappingURL=export.js.map