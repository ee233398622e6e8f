/**
 * Text from logs is client-controlled: request IDs, URIs and user agents can carry ANSI escapes,
 * C1 controls or megabytes. Nothing from a log reaches a terminal without passing through here.
 */
// C0 controls, DEL, C1 controls (U+0080..U+009F: U+009B is a CSI on some terminals), bidi overrides.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
function escapeChar(c) {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
/** Control characters shown as `\xNN`, and at most `max` characters (with the cut said). */
export function terminalSafe(s, max = 200) {
    const cut = s.length > max ? s.slice(0, max) : s;
    const safe = cut.replace(UNSAFE, escapeChar);
    return s.length > max ? `${safe}… (${s.length - max} more characters)` : safe;
}
// JSON.stringify escapes C0 but leaves DEL, C1 and bidi controls raw.
const JSON_UNSAFE = /[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** JSON that is safe to print on a terminal: still valid JSON, controls as \uXXXX. */
export function terminalSafeJson(value) {
    const s = JSON.stringify(value);
    return JSON_UNSAFE.test(s) ? s.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : s;
}
//# sourceMappingURL=terminalText.js.map