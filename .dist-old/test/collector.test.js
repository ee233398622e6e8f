/**
 * otel-collector.yaml and dashboards/: the config parses, its pipelines reference only defined
 * components, and every dashboard query names only metrics and labels that config emits.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { REPO } from './helpers.js';
const config = parse(readFileSync(path.join(REPO, 'otel-collector.yaml'), 'utf8'));
/** Resource attributes src/export/spans.ts puts on every span; labels via resource_to_telemetry_conversion. */
const RESOURCE_ATTRIBUTES = [
    'service.name',
    'host.name',
    'cloud.region',
    'deployment.environment.name',
    'service.version',
];
const promName = (s) => s.replace(/[^a-zA-Z0-9_]/g, '_');
test('the Collector config: every pipeline uses defined components, every connector links two pipelines, nothing unused', () => {
    const connectors = Object.keys(config.connectors ?? {});
    const used = new Set();
    for (const [name, p] of Object.entries(config.service.pipelines)) {
        assert.match(name, /^(traces|metrics|logs)(\/.+)?$/, `pipeline ${name} has a signal type`);
        assert.ok((p.receivers ?? []).length > 0 && (p.exporters ?? []).length > 0, `${name} has receivers and exporters`);
        for (const r of p.receivers ?? []) {
            assert.ok(r in config.receivers || connectors.includes(r), `${name}: receiver ${r} is defined`);
            used.add(r);
        }
        for (const x of p.processors ?? []) {
            assert.ok(x in config.processors, `${name}: processor ${x} is defined`);
            used.add(x);
        }
        for (const e of p.exporters ?? []) {
            assert.ok(e in config.exporters || connectors.includes(e), `${name}: exporter ${e} is defined`);
            used.add(e);
        }
    }
    for (const c of connectors) {
        const pipes = Object.values(config.service.pipelines);
        assert.ok(pipes.some((p) => p.exporters?.includes(c)) && pipes.some((p) => p.receivers?.includes(c)), `connector ${c} is an exporter of one pipeline and a receiver of another`);
    }
    for (const id of [
        ...Object.keys(config.receivers),
        ...Object.keys(config.processors),
        ...Object.keys(config.exporters),
        ...connectors,
    ]) {
        assert.ok(used.has(id), `${id} is used by a pipeline`);
    }
});
test('tail sampling keeps every error trace; span metrics see every span, before sampling', () => {
    const policies = config.processors.tail_sampling.policies;
    assert.ok(policies.some((p) => p.type === 'status_code' && p.status_code?.status_codes.includes('ERROR')));
    const withSpanmetrics = Object.values(config.service.pipelines).find((p) => p.exporters?.includes('spanmetrics'));
    assert.not.ok(withSpanmetrics.processors?.includes('tail_sampling'), 'spanmetrics is fed before tail sampling');
});
/** The Prometheus series and labels the config's spanmetrics connector and prometheus exporter produce. */
function emitted() {
    const sm = config.connectors.spanmetrics;
    const ns = promName(sm.namespace ?? 'traces.span.metrics');
    const unit = (sm.histogram?.unit ?? 'ms') === 'ms' ? 'milliseconds' : 'seconds';
    const metrics = new Set([
        `${ns}_calls_total`,
        ...['bucket', 'sum', 'count'].map((k) => `${ns}_duration_${unit}_${k}`),
    ]);
    const labels = new Set([
        'service_name',
        'span_name',
        'span_kind',
        'status_code',
        'le',
        'job',
        'instance',
        ...(sm.dimensions ?? []).map((d) => promName(d.name)),
    ]);
    const prom = config.exporters.prometheus;
    if (prom.resource_to_telemetry_conversion?.enabled)
        for (const a of RESOURCE_ATTRIBUTES)
            labels.add(promName(a));
    return { metrics, labels };
}
const PROMQL_WORDS = new Set([
    'sum',
    'rate',
    'irate',
    'increase',
    'histogram_quantile',
    'by',
    'without',
    'avg',
    'max',
    'min',
    'count',
    'topk',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'and',
    'or',
    'unless',
]);
test('every dashboard panel queries only metrics and labels the Collector config emits', () => {
    const { metrics, labels } = emitted();
    const dash = JSON.parse(readFileSync(path.join(REPO, 'dashboards', 'claw-trace-fleet.json'), 'utf8'));
    let promQueries = 0;
    for (const panel of dash.panels) {
        assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
        if (panel.datasource.type !== 'prometheus')
            continue;
        for (const t of panel.targets) {
            const expr = t.expr;
            promQueries++;
            const names = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{[])/g)]
                .map((m) => m[1])
                .filter((n) => !PROMQL_WORDS.has(n));
            assert.ok(names.length > 0, `${panel.title}: a metric in ${expr}`);
            for (const n of names)
                assert.ok(metrics.has(n), `${panel.title}: ${n} is emitted (${[...metrics].join(', ')})`);
            const used = [
                ...[...expr.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1]),
                ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean)),
                ...[...(t.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1]),
            ];
            for (const l of used)
                assert.ok(labels.has(l), `${panel.title}: label ${l} is emitted`);
        }
    }
    assert.ok(promQueries >= 8, `${promQueries} Prometheus queries checked`);
    assert.ok(dash.panels.some((p) => p.datasource.type === 'tempo' && p.targets.some((t) => /status = error/.test(t.query ?? ''))), 'a table of failing traces');
});
test.run();
//# sourceMappingURL=collector.test.js.map