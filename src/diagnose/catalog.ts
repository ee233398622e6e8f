/**
 * The causes claw-trace names, as data. Each row says:
 * - `fit`: the failure shapes the cause can explain (status, who answered, upgrade and 101, the
 *   gateway's close code, whether the gateway was reached). A cause whose fit the request's shape
 *   contradicts is never claimed, whatever else is around it;
 * - `kinds`: the error kinds (parsers/errorKinds.ts) that prove it when joined to the request;
 * - `test`: a hook for what a table cannot say (context that specialises a cause, shapes with no
 *   error line); it returns the evidence and the basis it decided on;
 * - the fix. How sure a claim is comes from the labelled corpus (calibration.json), not from here.
 * Rows are tried in order, specific first; `supersedes` drops the general cause a specific one explains.
 */
import type { IndexedRecord } from '../store/rehydrate.js';
import { type Answerer, type Facts, isLoopback, lifecycleLines, STARTING } from './facts.js';

/**
 * How the claim was decided: `direct` by lines joined to the request (tiers 1-2: its access line's
 * own columns, its error lines); `inferred` by a tier-3 join (the gateway connection); `shape` by
 * the request's shape with context (tier 4) supporting it. Context alone never decides.
 */
export type Basis = 'direct' | 'inferred' | 'shape';
export const BASIS_RANK: Record<Basis, number> = { direct: 0, inferred: 1, shape: 2 };

export interface Finding {
  basis: Basis;
  evidence: IndexedRecord[];
  /** One sentence about this request (addresses, timings). */
  detail: string;
}

type StatusClass = number | '2xx' | '4xx' | '5xx';

/** One shape a cause can explain; every field given must hold (unknown answerer / reach pass). */
export interface Fit {
  status?: readonly StatusClass[];
  notStatus?: readonly number[];
  answeredBy?: Answerer;
  upgrade?: boolean;
  switched?: boolean;
  /** The gateway closed the WebSocket with one of these codes (needs its close line). */
  closeCodes?: readonly number[];
  reachedGateway?: boolean;
}

export interface Cause {
  id: string;
  title: string;
  /** The config to change: nginx, Caddy and OpenClaw lines. */
  fix: string;
  /** The shapes it can explain: one must fit. */
  fit: readonly Fit[];
  /** Error kinds that prove it when joined to the request. */
  kinds?: readonly string[];
  /** Prior confidence, used (capped) only while the corpus has not measured the cause. */
  prior: number;
  /** More general causes this one explains: not listed again when this one is claimed. */
  supersedes?: readonly string[];
  /** What the table cannot say; without it the cause is proven by its `kinds`. */
  test?(f: Facts): Finding | undefined;
}

const ms = (n: number | undefined) =>
  n === undefined ? '?' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;

const statusFits = (want: readonly StatusClass[], s: number | undefined) =>
  s !== undefined && want.some((w) => (typeof w === 'number' ? w === s : Math.floor(s / 100) === Number(w[0])));

export function fits(fit: Fit, f: Facts): boolean {
  const s = f.innerStatus ?? f.status;
  if (fit.status && !statusFits(fit.status, s)) return false;
  if (fit.notStatus && s !== undefined && fit.notStatus.includes(s)) return false;
  if (fit.answeredBy && f.answeredBy !== undefined && f.answeredBy !== fit.answeredBy) return false;
  if (fit.upgrade !== undefined && f.upgradeRequested !== fit.upgrade) return false;
  if (fit.switched !== undefined && f.switched !== fit.switched) return false;
  if (fit.closeCodes && (f.closeCode === undefined || !fit.closeCodes.includes(f.closeCode))) return false;
  if (fit.reachedGateway !== undefined && f.reachedGateway !== undefined && f.reachedGateway !== fit.reachedGateway)
    return false;
  return true;
}

/** The finding of a cause proven by error lines of its kinds: direct when a tier 1-2 line proves it. */
export function fromErrors(
  f: Facts,
  kinds: readonly string[],
  detail?: (ev: IndexedRecord[]) => string,
): Finding | undefined {
  const ev = f.errors(...kinds);
  if (ev.length === 0) return undefined;
  const best = Math.min(...ev.map((e) => f.tierOf.get(e) ?? 3));
  return { basis: best <= 2 ? 'direct' : 'inferred', evidence: ev, detail: detail?.(ev) ?? ev[0]!.message ?? '' };
}

const PROXY_5XX: Fit = { status: ['5xx'], answeredBy: 'proxy' };
const NOT_CONNECTED: Fit = { status: ['5xx'], answeredBy: 'proxy', reachedGateway: false };
const WS_OPEN: Fit = { upgrade: true, switched: true };
const GATEWAY_403: Fit = { status: [403], answeredBy: 'upstream' };
const REFUSED = ['upstream-refused'];
const CUT = ['upstream-premature-close', 'upstream-reset', 'upstream-incomplete-response'];

/** Gateway lifecycle around the request (context, tier 4): what the gateway was doing. */
function lifecycle(f: Facts) {
  const life = lifecycleLines(f).filter((r) => r.lifecycle !== 'config');
  const before = life.filter((r) => r.time <= f.end);
  const after = life.filter((r) => r.time > f.end);
  return { life, last: before.at(-1), next: after.find((r) => r.lifecycle !== 'shutdown') };
}

/**
 * The reload of its proxy (same server kind, same region) that closed a WebSocket: within a second of a reload line. Caddy
 * closes upgraded connections on every reload; nginx's old workers keep them, so an nginx reload
 * counts only when the gateway saw an abnormal close.
 */
export function reloadOf(f: Facts): IndexedRecord | undefined {
  if (!f.switched || f.closeCode === 1000) return undefined;
  // Caddy closes them while it loads the new config: a moment before its "load complete" line.
  const proxy = f.access.at(-1)?.source.split('-')[0];
  return f.context
    .map((c) => c.record)
    .find(
      (r) =>
        r.errorKind === 'proxy-reload' &&
        r.source.startsWith(`${proxy}-`) &&
        Math.abs(f.end - r.time) <= 1000 &&
        (r.source === 'caddy-runtime' || (f.closeCode !== undefined && f.closeCode !== 1001)),
    );
}

/** Refused between a start line and "listening", or just before a start: the gateway was (re)starting. */
function restartAround(f: Facts): IndexedRecord | undefined {
  const { life, last, next } = lifecycle(f);
  if (last && STARTING.has(last.lifecycle ?? '')) return last;
  // A start in the refused request's own millisecond (a gateway that starts and listens within it,
  // both lines stamped as the proxy's): the refusal says it did not listen yet, whichever line the
  // clocks put last.
  const tie = life.find((r) => r.time === f.end && STARTING.has(r.lifecycle ?? ''));
  if (tie) return tie;
  // Just before a start: only if the gateway had stopped (refused while it was up is not a restart).
  if (next && next.time - f.end <= 30_000 && (!last || last.lifecycle === 'shutdown')) return next;
  return undefined;
}

export const CAUSES: readonly Cause[] = [
  {
    id: 'gateway-crashed',
    title: 'the gateway process died (killed, OOM, crash) and came back: no clean shutdown before its restart',
    fix: 'The gateway logs nothing when it is killed: look at the system log (OOM killer: `dmesg | grep -i oom`,\nmacOS: `log show --predicate \'process == "node"\'`) and its supervisor (launchd/systemd) for the exit.\nLet the proxy retry while it restarts:  nginx  proxy_next_upstream error timeout;  Caddy  lb_try_duration 10s',
    fit: [PROXY_5XX, WS_OPEN],
    prior: 0.8,
    supersedes: ['gateway-startup-race', 'upstream-refused', 'upstream-closed-early', 'proxy-reload'],
    test: (f) => {
      const c = f.crash;
      if (!c) return undefined;
      const cut = [...f.errors(...REFUSED, ...CUT)];
      if (cut.length > 0) {
        return {
          basis: 'direct',
          evidence: [...cut, c.lastSeen, c.start],
          detail: `${cut[0]!.errorKind}, and the gateway started again ${ms(c.start.time - f.end)} later with no shutdown line since it last logged (${ms(f.end - c.lastSeen.time)} before)`,
        };
      }
      if (!f.switched || !c.cutSession) return undefined;
      return {
        basis: 'shape',
        evidence: [...f.access, c.lastSeen, c.start],
        detail: `the WebSocket ended with no close line from the gateway${c.sessionsCut > 1 ? `, with ${c.sessionsCut - 1} other session(s) within a second` : ''}; the gateway started again ${ms(c.start.time - f.end)} later without a clean shutdown`,
      };
    },
  },
  {
    id: 'localhost-resolves-to-ipv6',
    title: '"localhost" upstream resolved to ::1 while the gateway listens on 127.0.0.1 only',
    supersedes: ['upstream-refused', 'upstream-unreachable'],
    fix: 'nginx:  proxy_pass http://127.0.0.1:18789;   (not localhost)\nCaddy:  reverse_proxy 127.0.0.1:18789\nor bind the gateway to both loopbacks.',
    fit: [NOT_CONNECTED],
    prior: 0.9,
    test: (f) => {
      const ev = f
        .errors('upstream-refused', 'upstream-address-unavailable')
        .filter((e) => (e.upstreamUrl ?? e.message ?? '').includes('[::1]'));
      if (ev.length === 0) return undefined;
      return {
        basis: 'direct',
        evidence: ev,
        detail: `the proxy tried [::1] and nothing listened there${f.succeededAfter ? '; it then succeeded on another address' : ''}`,
      };
    },
  },
  {
    id: 'gateway-startup-race',
    title: 'the gateway was restarting (deploy): the proxy reached it before it listened',
    supersedes: ['upstream-refused'],
    fix: 'Deploy with a health-gated switch (wait for /readyz) and let the proxy retry:\nnginx:  proxy_next_upstream error timeout; proxy_next_upstream_tries 3;\nCaddy:  reverse_proxy 127.0.0.1:18789 { lb_try_duration 10s }',
    fit: [NOT_CONNECTED],
    prior: 0.85,
    test: (f) => {
      const refused = f.errors(...REFUSED);
      const hit = refused.length && !f.refusedAfterListening ? restartAround(f) : undefined;
      if (!hit) return undefined;
      // Refused after a shutdown with no start since (or long after it came up) is a gateway that is down, not a race.
      return {
        basis: 'direct',
        evidence: [...refused, hit],
        detail: `connection refused ${ms(Math.abs(hit.time - f.end))} ${hit.time <= f.end ? 'after' : 'before'} the gateway's "${hit.lifecycle}" line: it was (re)starting`,
      };
    },
  },
  {
    id: 'gateway-not-ready',
    title: 'the gateway was up but not ready yet (just started): /readyz 503, WebSockets closed 1013',
    fix: 'Send traffic only once /readyz answers 200 (health-gated deploys; a load balancer health check on /readyz);\nclients retry on 1013 ("try again later").',
    fit: [{ status: [503], answeredBy: 'upstream' }, WS_OPEN],
    prior: 0.8,
    test: (f) => {
      const { last } = lifecycle(f);
      const starting =
        last && (last.lifecycle === 'listening' || STARTING.has(last.lifecycle ?? '')) && f.end - last.time <= 30_000
          ? last
          : undefined;
      if (f.closeCode === 1013 && f.gateway?.record) {
        return {
          basis: 'inferred',
          evidence: [...f.access, f.gateway.record, ...(starting ? [starting] : [])],
          detail: `the gateway closed the WebSocket 1013${f.gateway.record.closeReason ? ` ("${f.gateway.record.closeReason}")` : ''}`,
        };
      }
      const w = f.notReadyWindow;
      if (w && f.switched) {
        return {
          basis: 'shape',
          evidence: [...f.access, w.listening, w.ready],
          detail: `the WebSocket opened ${ms(f.start - w.listening.time)} after the gateway listened and ended before it was ready (it closes them 1013, "gateway starting", and logs nothing)`,
        };
      }
      if (f.answeredBy !== 'upstream' || f.upstreamStatus !== 503) return undefined;
      return {
        basis: starting ? 'direct' : 'shape',
        evidence: [...f.access, ...(starting ? [starting] : [])],
        detail: `the gateway itself answered 503${starting ? ` ${ms(f.end - starting.time)} after its "${starting.lifecycle}" line` : ''}`,
      };
    },
  },
  {
    id: 'upstream-refused',
    title: 'nothing listened on the upstream address: the gateway was down or the port is wrong',
    fix: 'Check the gateway runs and listens where the proxy points (default 127.0.0.1:18789):\n  openclaw gateway status;  ss -ltnp | grep 18789\nnginx:  proxy_pass http://127.0.0.1:18789;\nCaddy:  reverse_proxy 127.0.0.1:18789',
    fit: [NOT_CONNECTED],
    kinds: REFUSED,
    prior: 0.9,
    test: (f) =>
      fromErrors(
        f,
        REFUSED,
        (ev) =>
          `connect() refused: ${[...new Set(ev.map((e) => e.upstreamUrl ?? e.message ?? ''))].slice(0, 2).join(', ')}${f.succeededAfter ? ' (a retry succeeded)' : ''}`,
      ),
  },
  {
    id: 'upstream-unreachable',
    title:
      "the proxy could not reach the upstream's address (no route, an address it cannot use, or a name that does not resolve)",
    fix: 'Point the proxy at the address the gateway listens on, on this host:\nnginx:  proxy_pass http://127.0.0.1:18789;   Caddy:  reverse_proxy 127.0.0.1:18789\n(a name in proxy_pass needs a resolver that knows it; ::1 needs IPv6 enabled)',
    fit: [NOT_CONNECTED],
    kinds: ['upstream-no-route', 'upstream-address-unavailable', 'upstream-resolve'],
    prior: 0.9,
  },
  {
    id: 'proxy-timeout',
    title: "the proxy's timeout is shorter than the gateway's answer (504)",
    fix: 'Give AI answers time (they stream for minutes):\nnginx:  proxy_read_timeout 600s; proxy_send_timeout 600s;\nCaddy:  reverse_proxy 127.0.0.1:18789 { transport http { response_header_timeout 600s } }',
    fit: [PROXY_5XX],
    kinds: ['upstream-header-timeout', 'upstream-send-timeout'],
    prior: 0.95,
    test: (f) => {
      const found = fromErrors(
        f,
        ['upstream-header-timeout', 'upstream-send-timeout'],
        () => `no response header within ${ms(f.duration)}`,
      );
      if (found) return found;
      // Without the error line: a 504 whose attempt connected but never got a header.
      if (!(f.innerStatus === 504 && f.attempts.some((a) => a.connectMs !== undefined && a.headerMs === undefined)))
        return undefined;
      return { basis: 'shape', evidence: f.access, detail: `no response header within ${ms(f.duration)}` };
    },
  },
  {
    id: 'upstream-connect-timeout',
    title: 'the gateway did not accept the connection in time (accept queue full, firewall, wrong host)',
    fix: 'Check the gateway is not stalled (event loop blocked, accept backlog full) and the address is local:\nnginx:  proxy_connect_timeout 5s;  Caddy:  transport http { dial_timeout 5s }',
    fit: [PROXY_5XX],
    kinds: ['upstream-connect-timeout'],
    prior: 0.9,
    test: (f) => fromErrors(f, ['upstream-connect-timeout'], () => `connect timed out after ${ms(f.duration)}`),
  },
  {
    id: 'ws-idle-timeout',
    title: "an idle WebSocket was cut by the proxy's read timeout (the client sees 1006)",
    fix: 'The gateway ticks every 30 s; a read timeout above that keeps sessions open:\nnginx:  location /ws { proxy_read_timeout 3600s; proxy_send_timeout 3600s; }\nCaddy:  reverse_proxy 127.0.0.1:18789 { stream_timeout 24h }',
    fit: [WS_OPEN],
    kinds: ['ws-idle-timeout'],
    prior: 0.95,
    test: (f) => {
      const found = fromErrors(
        f,
        ['ws-idle-timeout'],
        () => `the proxy closed the 101 after ${ms(f.duration)} of silence`,
      );
      return found && { ...found, evidence: [...f.access, ...found.evidence] };
    },
  },
  {
    id: 'ws-rejected-unauthorized',
    title:
      'the gateway accepted the WebSocket and then closed it 1008: the client was refused (device identity, pairing, origin, auth)',
    fix: 'Pair the device or fix its credentials: `openclaw devices list` / `openclaw devices approve <id>`;\nfor an origin refusal list the public origin in gateway.controlUi.allowedOrigins.\nNothing to change in the proxy.',
    fit: [{ ...WS_OPEN, closeCodes: [1008] }],
    prior: 0.85,
    test: (f) => {
      const g = f.gateway?.record;
      if (!g) return undefined;
      const why = g.cause ?? g.closeReason;
      return {
        basis: 'inferred',
        evidence: [...f.access, g],
        detail: `the gateway closed it 1008${why ? `: ${why}` : ''}${g.fields?.phase ? ` (phase ${g.fields.phase})` : ''}`,
      };
    },
  },
  {
    id: 'ws-handshake-timeout',
    title: "the WebSocket opened, but the client never completed the gateway's connect handshake in time",
    fix: "The gateway closes a session that sends no connect frame within its handshake timeout (10-15 s).\nCheck the client is an OpenClaw client (a health check that opens the socket and waits gets this),\nand that nothing between the client and the gateway holds the client's first frame.",
    fit: [WS_OPEN],
    prior: 0.8,
    test: (f) => {
      const g = f.gateway?.record;
      if (
        g?.event !== 'ws-closed-before-connect' ||
        !/handshake.?time/i.test(`${g.cause ?? ''} ${g.closeReason ?? ''}`)
      )
        return undefined;
      return {
        basis: 'inferred',
        evidence: [...f.access, g],
        detail: `the gateway closed it ${g.closeCode ?? ''} after ${ms(g.durationMs)}: no connect frame (${g.cause ?? g.closeReason})`,
      };
    },
  },
  {
    id: 'ws-upgrade-not-forwarded',
    title: 'the WebSocket upgrade was not forwarded: the gateway saw a plain GET (WSS fails, HTTP works)',
    fix: 'nginx:\n  proxy_http_version 1.1;\n  proxy_set_header Upgrade $http_upgrade;\n  proxy_set_header Connection $connection_upgrade;   # map $http_upgrade $connection_upgrade { default upgrade; "" close; }\nCaddy forwards upgrades by itself: check nothing strips the Upgrade/Connection headers.',
    // The gateway answered the plain GET; a 403 it answered is its proxy checks, not this.
    fit: [{ upgrade: true, switched: false, answeredBy: 'upstream', notStatus: [403, 0], status: ['2xx', '4xx'] }],
    prior: 0.85,
    test: (f) =>
      f.errorRecords.length > 0
        ? undefined
        : {
            basis: f.answeredBy === 'upstream' ? 'direct' : 'shape',
            evidence: f.access,
            detail: `the client asked to upgrade and ${f.answeredBy === 'upstream' ? 'the gateway' : 'it'} answered ${f.innerStatus}`,
          },
  },
  {
    id: 'upstream-tls',
    title: 'TLS to the upstream failed (name or CA mismatch, or TLS to a plain-HTTP gateway)',
    fix: 'To a gateway on loopback, use plain HTTP: proxy_pass http://127.0.0.1:18789;\nWith TLS: nginx  proxy_ssl_server_name on; proxy_ssl_name <name in the certificate>;\n          Caddy  transport http { tls_server_name <name> }',
    fit: [PROXY_5XX],
    kinds: ['upstream-tls-verify', 'upstream-tls-handshake'],
    prior: 0.95,
  },
  {
    id: 'proxy-attribution-loopback',
    title:
      'a client on the proxy host itself, through a trusted proxy: the gateway will not attribute a forwarded loopback client (403)',
    fix: "Nothing is broken for real clients. Check from outside, or straight on the gateway's port:\n  curl http://127.0.0.1:18789/readyz\n(through the proxy from the host itself the gateway answers 403 proxy_attribution_required)",
    fit: [GATEWAY_403],
    prior: 0.8,
    test: (f) => {
      if (f.answeredBy !== 'upstream' || !isLoopback(f.forwardedClient)) return undefined;
      const warn = f.context.filter((c) => c.record.event === 'trusted-proxy').map((c) => c.record);
      return {
        basis: 'direct',
        evidence: [...f.access, ...warn],
        detail: `the gateway answered 403 to a request forwarded for ${f.forwardedClient}, a loopback address`,
      };
    },
  },
  {
    id: 'trusted-proxies-missing',
    title: "the proxy is not in the gateway's gateway.trustedProxies: it answers forwarded requests 403",
    fix: 'openclaw config: gateway.trustedProxies: ["127.0.0.1", "::1"]\nand let the proxy overwrite X-Forwarded-For:  proxy_set_header X-Forwarded-For $remote_addr;',
    fit: [GATEWAY_403],
    prior: 0.85,
    test: (f) => {
      if (f.answeredBy !== 'upstream') return undefined;
      // The warning is logged once per process, for the first rejection: it supports, never decides.
      const warn = f.context.filter((c) => c.record.event === 'trusted-proxy').map((c) => c.record);
      const loopback = isLoopback(f.forwardedClient);
      // A loopback client is refused even through a trusted proxy: then this is only what else may be wrong.
      return {
        basis: loopback ? 'shape' : 'direct',
        evidence: [...f.access, ...warn],
        detail: `the gateway answered 403 to a request forwarded for ${f.forwardedClient ?? 'a client'}${loopback ? ' (if clients from outside get 403 too, the proxy is not trusted)' : ''}${warn.length ? `; it warned of proxy-shaped traffic from ${warn[0]!.clientAddr ?? 'the proxy'}` : ''}`,
      };
    },
  },
  {
    id: 'overload',
    title: 'a proxy ran out of connections or file descriptors under load',
    fix: 'nginx:  worker_rlimit_nofile 65535;  events { worker_connections 8192; }\nsystem: ulimit -n 65535 (launchd: SoftResourceLimits NumberOfFiles)',
    fit: [PROXY_5XX],
    kinds: ['too-many-open-files', 'worker-connections'],
    prior: 0.85,
    supersedes: ['upstream-closed-early'],
    test: (f) => {
      const own = fromErrors(f, ['too-many-open-files', 'worker-connections']);
      if (own) return own;
      // A reset from the upstream while a proxy next to it logged overload alerts: the next hop,
      // out of worker_connections, reset the connection without logging the request.
      const cut = f.errors('upstream-reset', 'upstream-premature-close');
      const alerts = f.nearby.filter((e) => Math.abs(e.time - f.end) <= 2000);
      if (cut.length === 0 || alerts.length === 0) return undefined;
      return {
        basis: 'direct',
        evidence: [...cut, ...alerts],
        detail: `${cut[0]!.errorKind} while ${alerts[0]!.region ? `the proxy in ${alerts[0]!.region}` : 'a proxy'} logged ${alerts[0]!.errorKind}`,
      };
    },
  },
  {
    id: 'upstream-header-too-big',
    title: "the gateway's response headers exceed the proxy's buffer",
    fix: 'nginx:  proxy_buffer_size 16k; proxy_buffers 8 16k;',
    fit: [PROXY_5XX],
    kinds: ['upstream-header-too-big'],
    prior: 0.95,
  },
  {
    id: 'upstream-invalid-response',
    title: 'the upstream answered something that is not valid HTTP (a wrong port: another service, or TLS)',
    fix: 'Check what listens on the upstream address: it should be the gateway (default 127.0.0.1:18789).',
    fit: [PROXY_5XX],
    kinds: ['upstream-invalid-header'],
    prior: 0.85,
  },
  {
    id: 'no-live-upstreams',
    title: 'every upstream was marked down after earlier failures',
    fix: 'Find the first failures (the lines before this one) and fix those; meanwhile:\nnginx:  server 127.0.0.1:18789 max_fails=3 fail_timeout=5s;\nCaddy:  fail_duration 5s',
    fit: [NOT_CONNECTED],
    kinds: ['no-live-upstreams', 'upstream-disabled'],
    prior: 0.9,
    test: (f) =>
      fromErrors(f, ['no-live-upstreams', 'upstream-disabled'], (ev) =>
        ev.some((e) => e.errorKind === 'no-live-upstreams')
          ? 'no upstream was tried: all were marked down'
          : (ev[0]!.message ?? ''),
      ),
  },
  {
    id: 'upstream-permission-denied',
    title: 'the proxy may not connect to the upstream (SELinux or a sandbox)',
    fix: 'SELinux:  setsebool -P httpd_can_network_connect 1',
    fit: [NOT_CONNECTED],
    kinds: ['upstream-permission-denied'],
    prior: 0.95,
  },
  {
    id: 'upstream-closed-early',
    title: 'the gateway closed or reset the connection before a complete answer (crash, or the keep-alive race)',
    fix: 'If the gateway crashed, its log says why (look before this time). If it was the keep-alive race\n(Node closes idle sockets after 5 s, the proxy reuses them):\nnginx:  upstream gw { server 127.0.0.1:18789; keepalive 16; keepalive_timeout 4s; }\n        proxy_next_upstream error timeout http_502;',
    fit: [PROXY_5XX, { status: ['2xx'] }],
    kinds: [...CUT, 'upstream-body-timeout'],
    prior: 0.85,
    test: (f) =>
      fromErrors(
        f,
        [...CUT, 'upstream-body-timeout'],
        (ev) =>
          `${ev[0]!.errorKind}${(f.innerStatus ?? 0) < 300 ? ' after the status was sent: the client got a cut body' : ''}`,
      ),
  },
  {
    id: 'proxy-reload',
    title: 'the proxy reloaded its configuration and closed the open WebSocket (1001)',
    fix: 'Reloads close upgraded connections (Caddy always; nginx after worker_shutdown_timeout):\nreload outside busy hours, and let clients reconnect on 1001. nginx:  worker_shutdown_timeout 10m;',
    fit: [WS_OPEN],
    kinds: ['proxy-reload'],
    prior: 0.7,
    test: (f) => {
      const reload = reloadOf(f);
      return reload
        ? {
            basis: 'shape',
            evidence: [...f.access, reload],
            detail: `the session ended ${ms(Math.abs(f.end - reload.time))} ${f.end >= reload.time ? 'after' : 'before'} the end of a reload of ${reload.source.startsWith('caddy') ? 'Caddy' : 'nginx'}`,
          }
        : undefined;
    },
  },
  {
    id: 'ws-upgrade-failed',
    title: 'the proxy could not complete the WebSocket upgrade with the upstream',
    fix: 'nginx:  proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;\nCaddy forwards upgrades by itself: check the upstream is the gateway.',
    fit: [{ upgrade: true }],
    kinds: ['ws-upgrade-failed'],
    prior: 0.8,
  },
  {
    id: 'client-header-too-big',
    title: 'the client sent headers larger than the proxy accepts (400/494)',
    fix: 'nginx:  large_client_header_buffers 4 32k;   (cookies grow: clear them, or raise the buffer)',
    fit: [{ status: ['4xx'], answeredBy: 'proxy' }],
    kinds: ['client-header-too-big'],
    prior: 0.9,
  },
  {
    id: 'client-gave-up',
    title: 'the client closed the connection before the answer (not a server failure by itself)',
    fix: 'Nothing to fix in the proxy; if answers are slow, see the gateway side of this request.',
    fit: [{ status: [499, 0], upgrade: false }],
    kinds: ['client-closed'],
    prior: 0.9,
    test: (f) => ({
      basis: 'direct',
      evidence: [...f.access, ...f.errors('client-closed')],
      detail: `the client left after ${ms(f.duration)}`,
    }),
  },
];
