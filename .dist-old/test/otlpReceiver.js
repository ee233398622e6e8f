/**
 * A real HTTP OTLP trace receiver for the tests (fastify), standing in for the OpenTelemetry
 * Collector, which is not run here. It decodes OTLP/HTTP protobuf with protobufjs from the field
 * numbers of opentelemetry-proto's trace, common and resource messages (an implementation
 * independent of the exporter's own encoder), and OTLP/HTTP JSON; both end up in one shape.
 * It can be taken down and brought back on the same port (an outage).
 */
import Fastify from 'fastify';
import protobuf from 'protobufjs';
const F = (type, id, rule) => ({ type, id, ...(rule ? { rule } : {}) });
const root = protobuf.Root.fromJSON({
    nested: {
        otlp: {
            nested: {
                ExportTraceServiceRequest: { fields: { resourceSpans: F('ResourceSpans', 1, 'repeated') } },
                ResourceSpans: {
                    fields: { resource: F('Resource', 1), scopeSpans: F('ScopeSpans', 2, 'repeated'), schemaUrl: F('string', 3) },
                },
                Resource: { fields: { attributes: F('KeyValue', 1, 'repeated'), droppedAttributesCount: F('uint32', 2) } },
                ScopeSpans: {
                    fields: { scope: F('InstrumentationScope', 1), spans: F('Span', 2, 'repeated'), schemaUrl: F('string', 3) },
                },
                InstrumentationScope: {
                    fields: { name: F('string', 1), version: F('string', 2), attributes: F('KeyValue', 3, 'repeated') },
                },
                Span: {
                    fields: {
                        traceId: F('bytes', 1),
                        spanId: F('bytes', 2),
                        traceState: F('string', 3),
                        parentSpanId: F('bytes', 4),
                        flags: F('fixed32', 16),
                        name: F('string', 5),
                        kind: F('int32', 6),
                        startTimeUnixNano: F('fixed64', 7),
                        endTimeUnixNano: F('fixed64', 8),
                        attributes: F('KeyValue', 9, 'repeated'),
                        droppedAttributesCount: F('uint32', 10),
                        events: F('Event', 11, 'repeated'),
                        droppedEventsCount: F('uint32', 12),
                        links: F('Link', 13, 'repeated'),
                        droppedLinksCount: F('uint32', 14),
                        status: F('Status', 15),
                    },
                },
                Event: {
                    fields: {
                        timeUnixNano: F('fixed64', 1),
                        name: F('string', 2),
                        attributes: F('KeyValue', 3, 'repeated'),
                        droppedAttributesCount: F('uint32', 4),
                    },
                },
                Link: {
                    fields: {
                        traceId: F('bytes', 1),
                        spanId: F('bytes', 2),
                        traceState: F('string', 3),
                        attributes: F('KeyValue', 4, 'repeated'),
                    },
                },
                Status: { fields: { message: F('string', 2), code: F('int32', 3) } },
                KeyValue: { fields: { key: F('string', 1), value: F('AnyValue', 2) } },
                AnyValue: {
                    oneofs: {
                        value: {
                            oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
                        },
                    },
                    fields: {
                        stringValue: F('string', 1),
                        boolValue: F('bool', 2),
                        intValue: F('int64', 3),
                        doubleValue: F('double', 4),
                        arrayValue: F('ArrayValue', 5),
                        kvlistValue: F('KeyValueList', 6),
                        bytesValue: F('bytes', 7),
                    },
                },
                ArrayValue: { fields: { values: F('AnyValue', 1, 'repeated') } },
                KeyValueList: { fields: { values: F('KeyValue', 1, 'repeated') } },
            },
        },
    },
});
const Request = root.lookupType('otlp.ExportTraceServiceRequest');
const anyValue = (v) => v === undefined
    ? undefined
    : (v.stringValue ??
        (v.intValue !== undefined && v.intValue !== null ? Number(v.intValue) : undefined) ??
        v.doubleValue ??
        v.boolValue);
const attrs = (kvs) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
const hex = (b) => {
    if (b === undefined || b === null || b === '')
        return undefined;
    if (typeof b === 'string')
        return b.toLowerCase(); // JSON: hex already
    const s = Buffer.from(b).toString('hex');
    return s === '' ? undefined : s;
};
function flatten(req, encoding, headers) {
    return (req.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name,
        kind: s.kind ?? 0,
        startNs: String(s.startTimeUnixNano),
        endNs: String(s.endTimeUnixNano),
        status: s.status?.code ?? 0,
        statusMessage: s.status?.message || undefined,
        attributes: attrs(s.attributes),
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
        resource: attrs(rs.resource?.attributes),
        encoding,
        headers,
    }))));
}
export class OtlpReceiver {
    spans = [];
    requests = 0;
    port = 0;
    app;
    async up() {
        const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
        app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
        app.post('/v1/traces', async (req, reply) => {
            this.requests++;
            if (req.headers['content-type']?.startsWith('application/x-protobuf')) {
                const msg = Request.toObject(Request.decode(req.body), {
                    longs: String,
                    defaults: false,
                });
                this.spans.push(...flatten(msg, 'protobuf', req.headers));
                return reply.type('application/x-protobuf').send(Buffer.alloc(0)); // an empty ExportTraceServiceResponse
            }
            this.spans.push(...flatten(req.body, 'json', req.headers));
            return {};
        });
        await app.listen({ host: '127.0.0.1', port: this.port });
        this.port = app.server.address().port;
        this.app = app;
        return this;
    }
    /** The outage: the port stops answering (connection refused) until `up()`. */
    async down() {
        await this.app?.close();
        this.app = undefined;
    }
    get url() {
        return `http://127.0.0.1:${this.port}`;
    }
    /** How many times each span ID arrived. */
    counts() {
        const m = new Map();
        for (const s of this.spans)
            m.set(s.spanId, (m.get(s.spanId) ?? 0) + 1);
        return m;
    }
}
//# sourceMappingURL=otlpReceiver.js.map