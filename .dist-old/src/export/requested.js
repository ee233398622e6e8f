/**
 * Whether an OTLP endpoint may be configured, without loading the OTel packages (~25 MB): callers
 * import export/config.js only then, and resolveExport says the rest (or why export is off).
 */
export function exportRequested(settings, env = process.env) {
    return Boolean(settings.endpoint?.trim() ||
        env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ||
        env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
export const EXPORT_OFF = 'no OTLP endpoint configured (set export.endpoint, --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT)';
//# sourceMappingURL=requested.js.map