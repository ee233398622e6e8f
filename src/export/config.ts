/**
 * Where and how spans are exported: the agent config / CLI flags first, then the standard
 * OpenTelemetry variables (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _PROTOCOL, _HEADERS,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME). No endpoint anywhere: export is off.
 */
import type { Attributes } from '@opentelemetry/api';
import { detectResources, envDetector } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_NAMESPACE } from '@opentelemetry/semantic-conventions';
import { UserError } from '../../parsers/userError.js';
import { EXPORT_OFF, OTLP_PROTOCOLS, type OtlpProtocol } from './requested.js';
import type { HostResource } from './spans.js';

export { OTLP_PROTOCOLS, type OtlpProtocol } from './requested.js';

/** What a user sets (agent config `export:` or `ingest` flags); everything optional. */
export interface ExportSettings {
  /** Base URL of an OTLP/HTTP receiver, as OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended). */
  endpoint?: string;
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  /** The outbox's cap in bytes of stored spans; over it the oldest traces are dropped (counted). */
  outboxMaxBytes?: number;
  /** A request is exported this long (log time or wall time) after its last line. */
  joinWindowMs?: number;
  /** Per-request timeout of one OTLP POST. */
  timeoutMs?: number;
}

/** Everything the export pipeline needs; plain data (it crosses into a worker thread). */
export interface ExportConfig {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  outboxMaxBytes: number;
  joinWindowMs: number;
  timeoutMs: number;
  host: HostResource;
}

export const EXPORT_DEFAULTS = { outboxMaxBytes: 256 * 1024 * 1024, joinWindowMs: 5000, timeoutMs: 10_000 } as const;

export class ExportConfigError extends UserError {
  override name = 'ExportConfigError';
}

const env = (e: NodeJS.ProcessEnv, k: string): string | undefined => (e[k]?.trim() ? e[k]!.trim() : undefined);

function checkUrl(url: string, from: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ExportConfigError(
      `${from}: "${url}" is not a URL; give the OTLP/HTTP receiver, e.g. http://127.0.0.1:4318`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ExportConfigError(
      `${from}: "${url}" must be http:// or https:// (claw-trace exports OTLP over HTTP; the Collector listens on 4318)`,
    );
  }
  return url;
}

/**
 * The resolved export config, or `off` saying why there is none. Throws ExportConfigError on
 * a wrong setting (with the setting's name and the fix).
 */
export function resolveExport(
  settings: ExportSettings,
  host: HostResource,
  e: NodeJS.ProcessEnv = process.env,
): { config: ExportConfig; off?: undefined } | { config?: undefined; off: string } {
  let url: string | undefined;
  if (settings.endpoint) url = checkUrl(`${settings.endpoint.replace(/\/+$/, '')}/v1/traces`, 'export endpoint');
  else if (env(e, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'))
    url = checkUrl(env(e, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')!, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  else if (env(e, 'OTEL_EXPORTER_OTLP_ENDPOINT'))
    url = checkUrl(
      `${env(e, 'OTEL_EXPORTER_OTLP_ENDPOINT')!.replace(/\/+$/, '')}/v1/traces`,
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
  if (!url) return { off: EXPORT_OFF };

  const protoFrom = settings.protocol
    ? 'export protocol'
    : env(e, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
      ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol =
    settings.protocol ??
    env(e, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    env(e, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  if (!OTLP_PROTOCOLS.includes(protocol as OtlpProtocol)) {
    throw new ExportConfigError(
      `${protoFrom}: "${protocol}" is not supported; use http/protobuf (the default) or http/json` +
        (protocol === 'grpc' ? ' (the Collector takes both on port 4318)' : ''),
    );
  }
  for (const [k, v] of [
    ['outboxMaxBytes', settings.outboxMaxBytes],
    ['joinWindowMs', settings.joinWindowMs],
    ['timeoutMs', settings.timeoutMs],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new ExportConfigError(`export ${k}: must be a positive number, got ${String(v)}`);
  }

  // OTEL_RESOURCE_ATTRIBUTES go on every hop's resource. service.name stays per hop (nginx, caddy,
  // openclaw-gateway: what the Collector's span metrics and the dashboards group by), so a
  // service name from OTEL_SERVICE_NAME or the attributes becomes service.namespace instead.
  const attributes: Attributes = { ...host.attributes };
  const detected = detectResources({ detectors: [envDetector] }).attributes;
  for (const [k, v] of Object.entries(detected)) {
    if (v === undefined) continue;
    if (k === ATTR_SERVICE_NAME) attributes[ATTR_SERVICE_NAMESPACE] ??= v as string;
    else attributes[k] = v as Attributes[string];
  }
  return {
    config: {
      url,
      protocol: protocol as OtlpProtocol,
      headers: { ...settings.headers },
      outboxMaxBytes: settings.outboxMaxBytes ?? EXPORT_DEFAULTS.outboxMaxBytes,
      joinWindowMs: settings.joinWindowMs ?? EXPORT_DEFAULTS.joinWindowMs,
      timeoutMs: settings.timeoutMs ?? EXPORT_DEFAULTS.timeoutMs,
      host: { ...host, attributes },
    },
  };
}
