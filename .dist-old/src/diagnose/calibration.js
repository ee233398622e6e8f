/**
 * How often each claim was right on the labelled corpus (fixtures/corpus and the lab's fixtures),
 * by cause and by what decided it (`basis`; `:secondary` for claims below the first). Written by
 * `npm run bench:diagnosis -- --write`; a test fails when it no longer matches what the corpus gives.
 * The confidence printed for a claim is (right + 1) / (claimed + 2); a claim the corpus never
 * measured is capped at UNMEASURED_CAP.
 */
export const UNMEASURED_CAP = 0.6;
export const CALIBRATION = {
    'client-gave-up': {
        direct: { claimed: 2, right: 2 },
    },
    'gateway-crashed': {
        direct: { claimed: 34, right: 34 },
        shape: { claimed: 7, right: 7 },
    },
    'gateway-not-ready': {
        direct: { claimed: 33, right: 33 },
        shape: { claimed: 13, right: 13 },
    },
    'gateway-startup-race': {
        direct: { claimed: 25, right: 25 },
    },
    'localhost-resolves-to-ipv6': {
        direct: { claimed: 2, right: 2 },
    },
    'no-live-upstreams': {
        direct: { claimed: 2, right: 2 },
    },
    overload: {
        direct: { claimed: 7, right: 7 },
    },
    'proxy-attribution-loopback': {
        direct: { claimed: 13, right: 13 },
    },
    'proxy-reload': {
        shape: { claimed: 3, right: 3 },
    },
    'proxy-timeout': {
        direct: { claimed: 2, right: 2 },
    },
    'trusted-proxies-missing': {
        direct: { claimed: 18, right: 18 },
        'shape:secondary': {
            claimed: 13,
            right: 0,
        },
    },
    'upstream-closed-early': {
        direct: { claimed: 6, right: 6 },
        inferred: { claimed: 1, right: 1 },
    },
    'upstream-connect-timeout': {
        direct: { claimed: 2, right: 2 },
    },
    'upstream-header-too-big': {
        direct: { claimed: 1, right: 1 },
    },
    'upstream-refused': {
        direct: { claimed: 75, right: 75 },
    },
    'upstream-tls': {
        direct: { claimed: 13, right: 13 },
    },
    'ws-handshake-timeout': {
        inferred: { claimed: 2, right: 2 },
    },
    'ws-idle-timeout': {
        direct: { claimed: 4, right: 4 },
    },
    'ws-rejected-unauthorized': {
        inferred: { claimed: 12, right: 12 },
    },
    'ws-upgrade-not-forwarded': {
        direct: { claimed: 5, right: 5 },
    },
};
//# sourceMappingURL=calibration.js.map