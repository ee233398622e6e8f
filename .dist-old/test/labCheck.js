/**
 * Holds a lab run's logs against the case table (fixtures/lab/cases.ts): every line parses, every
 * case's access line has its status, every case's error line gets its error kind. Used on the
 * committed fixtures and on a live run of the lab.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { HOSTILE_ID, LAB_CASES } from '../fixtures/lab/cases.js';
import { labCustomLogFormat } from '../fixtures/lab/lab.js';
import { assembleTrace } from '../src/correlate/assemble.js';
import { diagnose } from '../src/diagnose/diagnose.js';
import { failureReport } from '../src/diagnose/failureReport.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex } from '../src/store/recordIndex.js';
import { rehydrate } from '../src/store/rehydrate.js';
import { parseLines, pathOf } from './helpers.js';
function allParse(name, p) {
    assert.equal(p.errors.map((e) => `${name}:${e.lineNo} ${e.error.reason} ${e.error.detail}`), [], `${name}: every line parses`);
    assert.ok(p.records.length > 0, `${name} has records`);
    return p.records;
}
/** Raw cases send bytes after their path (`/hostile/caf\xc3...`): those match by prefix. */
function sameCase(uri, c) {
    return c.client.kind === 'raw' ? (uri ?? '').startsWith(pathOf(c.path)) : pathOf(uri) === pathOf(c.path);
}
function accessFor(records, c) {
    const hits = records.filter((r) => sameCase(r.uri, c));
    assert.ok(hits.length > 0, `an access line for case ${c.name} (${c.path})`);
    return hits[hits.length - 1];
}
export function checkLab(logs) {
    const opts = { zone: 'UTC' };
    const access = {
        claw_json: allParse('nginx-claw_json.log', parseLines(logs.file('nginx-claw_json.log'), 'nginx-claw_json', opts)),
        combined: allParse('nginx-combined.log', parseLines(logs.file('nginx-combined.log'), 'nginx-combined', opts)),
        main: allParse('nginx-main.log', parseLines(logs.file('nginx-main.log'), 'nginx-main', opts)),
        custom: allParse('nginx-custom.log', parseLines(logs.file('nginx-custom.log'), 'nginx-access', { ...opts, logFormat: labCustomLogFormat() })),
    };
    const nginxErrors = allParse('nginx-error.log', parseLines(logs.file('nginx-error.log'), 'nginx-error', opts));
    const caddyAccess = allParse('caddy-access.log', parseLines(logs.file('caddy-access.log'), 'caddy', opts));
    const caddyErrors = allParse('caddy-error.log', parseLines(logs.file('caddy-error.log'), 'caddy', opts));
    // One request, four layouts: the same statuses in the same order.
    const statuses = access.claw_json.map((r) => r.status);
    for (const [name, recs] of Object.entries(access))
        assert.equal(recs.map((r) => r.status), statuses, `${name} agrees with claw_json`);
    for (const c of LAB_CASES) {
        if (logs.skipped.includes(c.name))
            continue;
        const n = c.expect.nginx;
        if (n) {
            for (const [layout, recs] of Object.entries(access)) {
                assert.is(accessFor(recs, c).status, n.status, `nginx ${layout}: status of ${c.name}`);
            }
            const a = accessFor(access.claw_json, c);
            if (n.upstreams !== undefined)
                assert.is(a.upstreams?.length, n.upstreams, `nginx: upstream attempts of ${c.name}`);
            if (n.errorKind) {
                const kinds = nginxErrors.filter((e) => sameCase(e.uri, c)).map((e) => e.errorKind);
                assert.ok(kinds.includes(n.errorKind), `nginx: ${c.name} has an error line of kind ${n.errorKind} (got ${kinds.join(', ') || 'none'})`);
                // Tier-2 join material: the error line's *CONN is the access line's $connection.
                const e = nginxErrors.find((x) => sameCase(x.uri, c) && x.errorKind === n.errorKind);
                assert.ok(access.claw_json.some((x) => x.connection === e.connection && sameCase(x.uri, c)), `nginx: ${c.name} error line joins its access line by connection`);
            }
        }
        const k = c.expect.caddy;
        if (k) {
            const a = accessFor(caddyAccess, c);
            assert.is(a.status, k.status, `caddy: status of ${c.name}`);
            assert.match(a.requestId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `caddy: ${c.name} has Caddy's request uuid`);
            if (k.errorKind) {
                // Caddy's body-cut lines carry no request: they belong to the request whose time they fall in.
                const near = caddyErrors.filter((e) => e.uri !== undefined ? sameCase(e.uri, c) : e.time >= a.start - 5 && e.time <= a.time + 5);
                const kinds = near.map((e) => e.errorKind);
                assert.ok(kinds.includes(k.errorKind), `caddy: ${c.name} has an error line of kind ${k.errorKind} (got ${kinds.join(', ') || 'none'})`);
            }
        }
    }
    // Client-controlled IDs arrive intact (decoded from nginx's JSON escaping), never trusted.
    const hostile = LAB_CASES.find((c) => c.name === 'hostile-request-id');
    assert.is(accessFor(access.claw_json, hostile).requestId, HOSTILE_ID, 'nginx claw_json: the hostile request ID decoded exactly');
    assert.is(accessFor(access.custom, hostile).requestId, HOSTILE_ID, 'nginx custom: the hostile request ID decoded exactly');
    assert.is(accessFor(caddyAccess, hostile).inboundRequestId, HOSTILE_ID, "caddy: the client's hostile ID kept as inbound");
    const bytes = access.combined.find((r) => r.uri?.startsWith('/hostile/caf'));
    assert.ok(bytes.uri.startsWith('/hostile/café\uFFFD'), `nginx combined: \\xXX escapes decoded as UTF-8, invalid bytes as U+FFFD (${bytes.uri})`);
    assert.is(bytes.userAgent, 'ua "quoted" \\ back', 'nginx combined: \\x22 and \\x5C decoded');
    // The ID the proxy propagated: the client's when it sent one.
    const ok = LAB_CASES.find((c) => c.name === 'ok');
    assert.is(accessFor(access.claw_json, ok).requestId, 'client-abc-123');
    assert.is(accessFor(access.claw_json, ok).inboundRequestId, 'client-abc-123');
    assert.match(accessFor(access.claw_json, LAB_CASES.find((c) => c.name === 'refused')).requestId ?? '', /^[0-9a-f]{32}$/, 'nginx $request_id when the client sent none');
}
/**
 * Every case through the whole chain: the logs ingested into an index, the case's request looked
 * up by its request ID, joined, and diagnosed: the cause must be the case table's.
 */
export async function checkLabDiagnoses(logs) {
    const dir = mkdtempSync(path.join(tmpdir(), 'claw-diag-'));
    const idx = new RecordIndex(path.join(dir, 'i.db'));
    try {
        for (const name of ['nginx-claw_json.log', 'nginx-error.log', 'caddy-access.log', 'caddy-error.log']) {
            await intakeFile(idx, logs.file(name), { zone: 'UTC' });
        }
        const indexed = rehydrate(idx.search({ from: 0, to: 4e12, limit: 100_000 }));
        const access = (proxy) => indexed.filter((r) => r.source === `${proxy}-access`);
        for (const c of LAB_CASES) {
            if (logs.skipped.includes(c.name))
                continue;
            for (const proxy of ['nginx', 'caddy']) {
                const want = c.expect[proxy]?.cause;
                if (want === undefined)
                    continue;
                const rows = access(proxy).filter((r) => sameCase(r.uri, c));
                assert.ok(rows.length > 0, `${proxy}: an indexed access line for ${c.name}`);
                const id = rows[rows.length - 1].requestId;
                assert.ok(id, `${proxy}: ${c.name} has a request ID`);
                const trace = assembleTrace(idx, id);
                assert.ok(trace, `${proxy}: ${c.name} assembles`);
                const d = diagnose(trace, idx);
                const got = d.failed ? d.causes.map((x) => x.id) : null;
                if (want === null)
                    assert.is(got, null, `${proxy}: ${c.name} is not a failure (got ${JSON.stringify(got)})`);
                else
                    assert.equal(got?.[0], want, `${proxy}: ${c.name} is diagnosed ${want} (got ${JSON.stringify(got)}, missing ${JSON.stringify(d.missing)})`);
                if (want !== null)
                    assert.ok(d.causes[0].evidence.length > 0, `${proxy}: ${c.name}: the cause shows its evidence`);
            }
        }
        // `claw-trace 5xx` over the whole run: each failing case under its cause and path. (Caddy's
        // body-cut lines name no request, so a 200 cut by Caddy cannot be found from them.)
        const report = failureReport(idx, { from: 0, to: 4e12 });
        for (const c of LAB_CASES) {
            if (logs.skipped.includes(c.name))
                continue;
            for (const proxy of ['nginx', 'caddy']) {
                const e = c.expect[proxy];
                if (!e?.cause || (proxy === 'caddy' && e.status === 200))
                    continue;
                assert.ok(report.groups.some((g) => g.cause === e.cause && g.path === pathOf(c.path)), `5xx report: ${proxy} ${c.name} under ${e.cause}`);
            }
        }
    }
    finally {
        idx.close();
        rmSync(dir, { recursive: true, force: true });
    }
}
//# sourceMappingURL=labCheck.js.map