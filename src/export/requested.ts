/**
 * Whether an OTLP endpoint may be configured, without loading the OTel packages (~25 MB): callers
 * import export/config.js only then, and resolveExport says the rest (or why export is off).
 */
export function exportRequested(settings: { endpoint?: string }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    settings.endpoint?.trim() ||
      env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ||
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim(),
  );
}

/** The OTLP/HTTP encodings (here, not in config.ts: the agent's config schema names them without loading OTel). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

export const EXPORT_OFF =
  'no OTLP endpoint configured (set export.endpoint, --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT)';
