/**
 * Error messages the proxies write, classified. Data, not code paths: one row per kind, with
 * the patterns that recognise it in nginx's error log and in Caddy's error/debug lines. The
 * first row whose pattern matches wins, so the more specific rows come first.
 */
export const ERROR_KINDS = [
    {
        kind: 'upstream-refused',
        summary: 'nothing listens on the upstream address (gateway down, wrong port, or not yet started)',
        nginx: /\(111: Connection refused\)/,
        caddy: /connect: connection refused/,
    },
    {
        kind: 'upstream-no-route',
        summary: 'the upstream host is unreachable (no route)',
        nginx: /\(113: No route to host\)|\(101: Network is unreachable\)/,
        caddy: /no route to host|network is unreachable/,
    },
    {
        kind: 'upstream-address-unavailable',
        summary: 'the address cannot be used here (e.g. ::1 with IPv6 disabled)',
        nginx: /\(99: Cannot assign requested address\)|\(97: Address family not supported/,
        caddy: /cannot assign requested address|address family not supported/,
    },
    {
        kind: 'upstream-permission-denied',
        summary: 'the proxy may not connect (SELinux httpd_can_network_connect, sandbox)',
        nginx: /\(13: Permission denied\) while connecting to upstream/,
        caddy: /connect: permission denied/,
    },
    {
        kind: 'ws-idle-timeout',
        summary: 'an upgraded (WebSocket) connection idle longer than the proxy read timeout was cut',
        nginx: /timed out \(110: Connection timed out\) while proxying upgraded connection/,
    },
    {
        kind: 'upstream-connect-timeout',
        summary: 'the connection to the upstream was not accepted in time',
        nginx: /timed out \(110: Connection timed out\) while connecting to upstream/,
        caddy: /dial tcp [^ ]+: i\/o timeout|dial tcp [^ ]+: connect: connection timed out/,
    },
    {
        kind: 'upstream-header-timeout',
        summary: 'the upstream did not answer within the proxy read timeout (504)',
        nginx: /timed out \(110: Connection timed out\) while reading response header from upstream/,
        caddy: /timeout awaiting response headers/,
    },
    {
        kind: 'upstream-body-timeout',
        summary: 'the upstream stalled in the middle of the body; the client got a cut response',
        nginx: /timed out \(110: Connection timed out\) while reading upstream/,
    },
    {
        kind: 'upstream-send-timeout',
        summary: 'the request could not be sent to the upstream in time',
        nginx: /timed out \(110: Connection timed out\) while sending request to upstream/,
    },
    {
        kind: 'upstream-reset',
        summary: 'the upstream reset the connection (crash, or a keep-alive socket it had closed)',
        nginx: /\(104: Connection reset by peer\)|\(32: Broken pipe\) while sending request to upstream/,
        caddy: /connection reset by peer|broken pipe/,
    },
    {
        kind: 'upstream-premature-close',
        summary: 'the upstream closed the connection before a complete response (crash, keep-alive race)',
        nginx: /upstream prematurely closed connection/,
        caddy: /^(unexpected )?EOF$|: EOF$|http: server closed idle connection/,
    },
    {
        kind: 'upstream-incomplete-response',
        summary: 'the response body was cut short after the status was sent',
        caddy: /aborting with incomplete response|reading from backend|reading: unexpected EOF/,
    },
    {
        kind: 'upstream-header-too-big',
        summary: 'the upstream response headers exceed proxy_buffer_size',
        nginx: /upstream sent too big header/,
        caddy: /header (list )?too (big|large)|server response headers exceeded/,
    },
    {
        kind: 'upstream-invalid-header',
        summary: 'the upstream sent a response that is not valid HTTP',
        nginx: /upstream sent (invalid|no valid) (header|HTTP)/,
        caddy: /malformed HTTP (response|status)/,
    },
    {
        kind: 'no-live-upstreams',
        summary: 'every upstream server is marked down after earlier failures',
        nginx: /no live upstreams/,
        caddy: /no upstreams available/,
    },
    {
        kind: 'upstream-disabled',
        summary: 'an upstream server was marked down (max_fails reached)',
        nginx: /upstream server temporarily disabled/,
    },
    {
        kind: 'upstream-tls-verify',
        summary: 'the upstream certificate does not match the name or CA the proxy expects',
        nginx: /upstream SSL certificate (verify error|does not match)/,
        caddy: /x509: |tls: failed to verify/,
    },
    {
        kind: 'upstream-tls-handshake',
        summary: 'TLS to the upstream failed (plain HTTP upstream, protocol or SNI mismatch)',
        nginx: /SSL_do_handshake\(\) failed|peer closed connection in SSL handshake|SSL_read\(\) failed|SSL_write\(\) failed/,
        caddy: /tls: |remote error: tls|first record does not look like a TLS handshake/,
    },
    {
        kind: 'upstream-resolve',
        summary: 'the upstream host name could not be resolved',
        nginx: /could not be resolved|host not found in upstream/,
        caddy: /no such host|lookup [^ ]+ on /,
    },
    {
        kind: 'worker-connections',
        summary: 'nginx ran out of worker_connections under load',
        nginx: /worker_connections are not enough/,
    },
    {
        kind: 'too-many-open-files',
        summary: 'the process hit its open-file limit (RLIMIT_NOFILE / worker_rlimit_nofile)',
        nginx: /\(24: Too many open files\)/,
        caddy: /too many open files/,
    },
    {
        kind: 'client-closed',
        summary: 'the client went away before the answer was sent',
        nginx: /client prematurely closed connection|epoll_wait\(\) reported that client prematurely closed/,
        caddy: /context canceled|client disconnected/,
    },
    {
        kind: 'client-header-too-big',
        summary: 'the client sent headers larger than the proxy accepts',
        nginx: /client sent too long header line|client sent too large request|request header or cookie too large/,
    },
    {
        kind: 'proxy-reload',
        summary: 'the proxy reloaded its configuration (open WebSockets may be closed)',
        nginx: /signal 1 \(SIGHUP\) received/,
        caddy: /^load complete$/,
    },
    {
        kind: 'ws-upgrade-failed',
        summary: 'the WebSocket upgrade to the upstream failed',
        caddy: /upgrad(e|ing) (connection )?failed|switching protocols/i,
    },
];
const NGINX_RULES = ERROR_KINDS.filter((r) => r.nginx);
const CADDY_RULES = ERROR_KINDS.filter((r) => r.caddy);
export function classifyNginxError(message) {
    for (const r of NGINX_RULES)
        if (r.nginx.test(message))
            return r.kind;
    return undefined;
}
export function classifyCaddyError(message) {
    for (const r of CADDY_RULES)
        if (r.caddy.test(message))
            return r.kind;
    return undefined;
}
//# sourceMappingURL=errorKinds.js.map