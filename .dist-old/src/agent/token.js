/** The API's bearer token check. */
import { createHash, timingSafeEqual } from 'node:crypto';
/** Constant-time comparison of a presented bearer token with the configured one. */
export function tokenMatches(presented, token) {
    const a = createHash('sha256')
        .update(presented ?? '')
        .digest();
    const b = createHash('sha256').update(token).digest();
    return timingSafeEqual(a, b) && presented !== undefined;
}
//# sourceMappingURL=token.js.map