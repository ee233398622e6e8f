/** claw-trace's version: `--version`, the OTLP instrumentation scope. package.json's, checked by a test. */
export const VERSION = '0.1.0';
//# sourceMappingURL=version.js.map