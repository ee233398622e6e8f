/**
 * An assembled trace as OpenTelemetry spans (sdk-trace-base ReadableSpan), ready for the OTLP
 * exporters: the log's own timestamps, the deterministic trace and span IDs, HTTP semantic-
 * convention attributes, status ERROR on failures, error lines as events, inferred joins and the
 * diagnosis as attributes, and a resource per hop (service.name nginx / caddy / openclaw-gateway,
 * host.name, cloud.region, deployment.environment.name, service.version).
 */
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_CLIENT_ADDRESS, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_NETWORK_PROTOCOL_VERSION, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION, ATTR_URL_PATH, ATTR_URL_QUERY, ATTR_USER_AGENT_ORIGINAL, } from '@opentelemetry/semantic-conventions';
import { ATTR_CLOUD_REGION, ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_HOST_NAME, } from '@opentelemetry/semantic-conventions/incubating';
import { spanIdFor } from '../correlate/trace.js';
import { VERSION } from '../util/version.js';
/** The instrumentation scope of every span claw-trace makes. */
export const SCOPE = { name: 'claw-trace', version: VERSION };
const KIND = {
    SERVER: SpanKind.SERVER,
    CLIENT: SpanKind.CLIENT,
    INTERNAL: SpanKind.INTERNAL,
};
/** Epoch ms (fractions kept) to [seconds, nanoseconds]. */
export function hrTime(ms) {
    const s = Math.floor(ms / 1000);
    return [s, Math.round((ms - s * 1000) * 1e6)];
}
function hostPort(addr) {
    const m = addr ? /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr) : null;
    return m ? { host: m[1], port: Number(m[2]) } : { host: addr };
}
function httpAttributes(s) {
    const a = {};
    const r = s.record;
    if (s.kind === 'CLIENT') {
        const { host, port } = hostPort(String(s.attrs['server.address'] ?? ''));
        if (host)
            a[ATTR_SERVER_ADDRESS] = host;
        if (port)
            a[ATTR_SERVER_PORT] = port;
        if (s.status !== undefined)
            a[ATTR_HTTP_RESPONSE_STATUS_CODE] = s.status;
        if (s.phases?.connectMs !== undefined)
            a['claw.upstream.connect_ms'] = s.phases.connectMs;
        if (s.phases?.headerMs !== undefined)
            a['claw.upstream.header_ms'] = s.phases.headerMs;
        return a;
    }
    if (!r)
        return a;
    if (r.method)
        a[ATTR_HTTP_REQUEST_METHOD] = r.method;
    if (r.uri) {
        const q = r.uri.indexOf('?');
        a[ATTR_URL_PATH] = q < 0 ? r.uri : r.uri.slice(0, q);
        if (q >= 0)
            a[ATTR_URL_QUERY] = r.uri.slice(q + 1);
    }
    if (r.status !== undefined)
        a[ATTR_HTTP_RESPONSE_STATUS_CODE] = r.status;
    if (r.clientAddr)
        a[ATTR_CLIENT_ADDRESS] = r.clientAddr;
    if (r.userAgent)
        a[ATTR_USER_AGENT_ORIGINAL] = r.userAgent;
    if (r.protocol?.startsWith('HTTP/'))
        a[ATTR_NETWORK_PROTOCOL_VERSION] = r.protocol.slice(5);
    if (r.host)
        a[ATTR_SERVER_ADDRESS] = r.host;
    if (r.requestId)
        a['claw.request_id'] = r.requestId;
    return a;
}
export function toReadableSpans(trace, d, host = {}) {
    const resources = new Map();
    const resourceFor = (s) => {
        const region = s.region ?? host.region;
        const key = `${s.service}\u0000${region ?? ''}`;
        let r = resources.get(key);
        if (!r) {
            const attrs = { ...host.attributes, [ATTR_SERVICE_NAME]: s.service };
            if (host.hostName)
                attrs[ATTR_HOST_NAME] = host.hostName;
            if (region)
                attrs[ATTR_CLOUD_REGION] = region;
            if (host.environment)
                attrs[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = host.environment;
            if (host.version)
                attrs[ATTR_SERVICE_VERSION] = host.version;
            resources.set(key, (r = resourceFromAttributes(attrs)));
        }
        return r;
    };
    const root = trace.spans.find((s) => !trace.spans.some((p) => p.spanId === s.parentSpanId));
    const out = [];
    const make = (s, name, spanId, parent, start, end, attributes, error, events = []) => {
        out.push({
            name,
            kind: KIND[s.kind],
            spanContext: () => ({ traceId: trace.traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
            parentSpanContext: parent
                ? { traceId: trace.traceId, spanId: parent, traceFlags: TraceFlags.SAMPLED }
                : undefined,
            startTime: hrTime(start),
            endTime: hrTime(end),
            duration: hrTime(Math.max(0, end - start)),
            status: error
                ? { code: SpanStatusCode.ERROR, message: d.causes[0]?.id ?? 'failed' }
                : { code: SpanStatusCode.UNSET },
            attributes,
            links: [],
            events,
            ended: true,
            resource: resourceFor(s),
            instrumentationScope: SCOPE,
            droppedAttributesCount: 0,
            droppedEventsCount: 0,
            droppedLinksCount: 0,
        });
    };
    for (const s of trace.spans) {
        const attributes = { ...httpAttributes(s), 'claw.join.tier': s.join.tier };
        if (s.join.tier >= 3) {
            attributes['claw.join.inferred'] = true;
            attributes['claw.join.confidence'] = s.join.confidence;
            attributes['claw.join.how'] = s.join.how;
        }
        for (const [k, v] of Object.entries(s.attrs))
            if (!(k in attributes) && k !== 'server.address')
                attributes[k] = v;
        if (s.record?.file)
            attributes['claw.log.file'] = s.record.file;
        if (s.record?.lineNo !== undefined)
            attributes['claw.log.line'] = s.record.lineNo;
        if (s === root && d.failed) {
            attributes['claw.diagnosis.cause'] = d.causes[0]?.id ?? 'unknown';
            if (d.causes[0]) {
                attributes['claw.diagnosis.confidence'] = d.causes[0].confidence;
                attributes['claw.diagnosis.basis'] = d.causes[0].basis;
            }
        }
        const events = s.events.map((e) => ({
            name: e.name,
            time: hrTime(e.time),
            attributes: {
                'log.record.original': e.record.raw.slice(0, 2048),
                'claw.log.file': e.record.file ?? '',
                'claw.log.line': e.record.lineNo ?? 0,
                'claw.join.tier': e.join.tier,
            },
            droppedAttributesCount: 0,
        }));
        make(s, s.name || s.service, s.spanId, s.parentSpanId, s.start, s.end, attributes, s.error || (s === root && d.failed), events);
        // One child span per phase of an upstream attempt (the dashboards' phase latencies).
        if (s.kind === 'CLIENT' && s.phases) {
            let at = s.start;
            for (const [phase, ms] of [
                ['connect', s.phases.connectMs],
                ['header', s.phases.headerMs],
            ]) {
                if (ms === undefined)
                    continue;
                make({ ...s, kind: 'INTERNAL' }, `upstream ${phase}`, spanIdFor(trace.traceId, s.spanId, phase), s.spanId, s.start, s.start + ms, {}, false);
                at = s.start + ms;
            }
            if (s.phases.responseMs !== undefined)
                make({ ...s, kind: 'INTERNAL' }, 'upstream response', spanIdFor(trace.traceId, s.spanId, 'response'), s.spanId, at, s.start + s.phases.responseMs, {}, false);
        }
    }
    return out;
}
//# sourceMappingURL=spans.js.map