/**
 * The causes claw-trace names, as data: what proves each one (a test over the facts of a trace,
 * returning the evidence lines), how sure that proof is, and the fix. Tried in order; the first
 * causes are the more specific. No cause proven -> "unknown", with what was missing.
 */
import type { IndexedRecord } from '../store/rehydrate.js';
import type { Facts } from './facts.js';

export interface Finding {
  confidence: number;
  evidence: IndexedRecord[];
  /** One sentence about this request (addresses, timings). */
  detail: string;
}

export interface Cause {
  id: string;
  title: string;
  /** The config to change: nginx, Caddy and OpenClaw lines. */
  fix: string;
  /** More general causes this one explains: not listed again when this one is proven. */
  supersedes?: string[];
  test(f: Facts): Finding | undefined;
}

const ms = (n: number | undefined) => (n === undefined ? '?' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

/** The finding of a cause proven by error lines of these kinds alone (detail: the first line's message unless given). */
function fromErrors(f: Facts, kinds: string[], confidence: number, detail?: string): Finding | undefined {
  const ev = f.errors(...kinds);
  return ev.length ? { confidence, evidence: ev, detail: detail ?? ev[0]!.message ?? '' } : undefined;
}

/** Gateway lifecycle lines that mean it is coming up, and those that mean it is not listening yet. */
const STARTS = new Set(['starting', 'http-starting', 'listening', 'ready']);
const STARTING = new Set(['starting', 'http-starting']);

export const CAUSES: readonly Cause[] = [
  {
    id: 'localhost-resolves-to-ipv6',
    title: '"localhost" upstream resolved to ::1 while the gateway listens on 127.0.0.1 only',
    supersedes: ['upstream-refused'],
    fix: 'nginx:  proxy_pass http://127.0.0.1:18789;   (not localhost)\nCaddy:  reverse_proxy 127.0.0.1:18789\nor bind the gateway to both loopbacks.',
    test: (f) => {
      const ev = f.errors('upstream-refused', 'upstream-address-unavailable').filter((e) => (e.upstreamUrl ?? e.message ?? '').includes('[::1]'));
      if (ev.length === 0) return undefined;
      return { confidence: 0.9, evidence: ev, detail: `the proxy tried [::1] and nothing listened there${f.succeededAfter ? '; it then succeeded on another address' : ''}` };
    },
  },
  {
    id: 'gateway-startup-race',
    title: 'the gateway was restarting (deploy): the proxy reached it before it listened',
    supersedes: ['upstream-refused'],
    fix: 'Deploy with a health-gated switch (wait for /readyz) and let the proxy retry:\nnginx:  proxy_next_upstream error timeout; proxy_next_upstream_tries 3;\nCaddy:  reverse_proxy 127.0.0.1:18789 { lb_try_duration 10s }',
    test: (f) => {
      const refused = f.errors('upstream-refused');
      if (refused.length === 0) return undefined;
      // A restart, not a stop: refused after the gateway said it was starting and before it said it
      // listened, or just before it started again. Refused after a shutdown with no start since
      // (or long after it came up) is a gateway that is down, not a race.
      const life = f.context.filter((c) => c.record.event === 'lifecycle' && c.record.lifecycle !== 'config' && Math.abs(c.record.time - f.start) <= 60_000)
        .sort((a, b) => a.record.time - b.record.time);
      const last = life.filter((c) => c.record.time <= f.start).at(-1);
      const next = life.find((c) => c.record.time > f.start && STARTS.has(c.record.lifecycle ?? ''));
      const hit = last && STARTING.has(last.record.lifecycle ?? '') ? last : next;
      if (!hit) return undefined;
      return { confidence: 0.85, evidence: [...refused, ...life.filter((c) => c === hit || c === last).map((c) => c.record)], detail: `connection refused ${ms(Math.abs(hit.record.time - f.start))} ${hit.record.time <= f.start ? 'after' : 'before'} the gateway's "${hit.record.lifecycle}" line: it was (re)starting` };
    },
  },
  {
    id: 'upstream-refused',
    title: 'nothing listened on the upstream address: the gateway was down or the port is wrong',
    fix: 'Check the gateway runs and listens where the proxy points (default 127.0.0.1:18789):\n  openclaw gateway status;  ss -ltnp | grep 18789\nnginx:  proxy_pass http://127.0.0.1:18789;\nCaddy:  reverse_proxy 127.0.0.1:18789',
    test: (f) => {
      const ev = f.errors('upstream-refused');
      if (ev.length === 0) return undefined;
      const addrs = [...new Set(ev.map((e) => e.upstreamUrl ?? e.message ?? ''))].slice(0, 2).join(', ');
      return { confidence: 0.9, evidence: ev, detail: `connect() refused: ${addrs}${f.succeededAfter ? ' (a retry succeeded)' : ''}` };
    },
  },
  {
    id: 'proxy-timeout',
    title: "the proxy's read timeout is shorter than the gateway's answer (504)",
    fix: 'Give AI answers time (they stream for minutes):\nnginx:  proxy_read_timeout 600s; proxy_send_timeout 600s;\nCaddy:  reverse_proxy 127.0.0.1:18789 { transport http { response_header_timeout 600s } }',
    test: (f) => {
      const ev = f.errors('upstream-header-timeout');
      // Without the error line: a 504 whose attempt connected but never got a header.
      if (ev.length === 0 && !(f.status === 504 && f.attempts.some((a) => a.connectMs !== undefined && a.headerMs === undefined))) return undefined;
      return { confidence: ev.length ? 0.95 : 0.6, evidence: ev.length ? ev : f.access, detail: `no response header within ${ms(f.duration)}` };
    },
  },
  {
    id: 'upstream-connect-timeout',
    title: 'the gateway did not accept the connection in time (accept queue full, firewall, wrong host)',
    fix: 'Check the gateway is not stalled (event loop blocked, accept backlog full) and the address is local:\nnginx:  proxy_connect_timeout 5s;  Caddy:  transport http { dial_timeout 5s }',
    test: (f) => fromErrors(f, ['upstream-connect-timeout'], 0.9, `connect timed out after ${ms(f.duration)}`),
  },
  {
    id: 'ws-idle-timeout',
    title: "an idle WebSocket was cut by the proxy's read timeout (the client sees 1006)",
    fix: 'The gateway ticks every 30 s; a read timeout above that keeps sessions open:\nnginx:  location /ws { proxy_read_timeout 3600s; proxy_send_timeout 3600s; }\nCaddy:  reverse_proxy 127.0.0.1:18789 { stream_timeout 24h }',
    test: (f) => {
      const ev = f.errors('ws-idle-timeout');
      return ev.length ? { confidence: 0.95, evidence: [...f.access, ...ev], detail: `the proxy closed the 101 after ${ms(f.duration)} of silence` } : undefined;
    },
  },
  {
    id: 'ws-upgrade-not-forwarded',
    title: 'the WebSocket upgrade was not forwarded: the gateway saw a plain GET (WSS fails, HTTP works)',
    fix: 'nginx:\n  proxy_http_version 1.1;\n  proxy_set_header Upgrade $http_upgrade;\n  proxy_set_header Connection $connection_upgrade;   # map $http_upgrade $connection_upgrade { default upgrade; "" close; }\nCaddy forwards upgrades by itself: check nothing strips the Upgrade/Connection headers.',
    test: (f) => {
      if (!f.upgradeRequested || f.status === 101 || f.status === 0 || f.errorRecords.length > 0) return undefined;
      return { confidence: 0.85, evidence: f.access, detail: `the client asked to upgrade and got ${f.status}` };
    },
  },
  {
    id: 'upstream-tls',
    title: 'TLS to the upstream failed (name or CA mismatch, or TLS to a plain-HTTP gateway)',
    fix: 'To a gateway on loopback, use plain HTTP: proxy_pass http://127.0.0.1:18789;\nWith TLS: nginx  proxy_ssl_server_name on; proxy_ssl_name <name in the certificate>;\n          Caddy  transport http { tls_server_name <name> }',
    test: (f) => fromErrors(f, ['upstream-tls-verify', 'upstream-tls-handshake'], 0.95),
  },
  {
    id: 'trusted-proxies-missing',
    title: "the proxy is not in the gateway's gateway.trustedProxies",
    fix: 'openclaw config: gateway.trustedProxies: ["127.0.0.1", "::1"]\nand let the proxy overwrite X-Forwarded-For:  proxy_set_header X-Forwarded-For $remote_addr;',
    test: (f) => {
      const warn = f.context.filter((c) => c.record.event === 'trusted-proxy');
      if (warn.length === 0 || (f.status !== 403 && !f.gatewayClosedAbnormally && !f.failed)) return undefined;
      return { confidence: f.status === 403 ? 0.9 : 0.7, evidence: [...f.access, ...warn.map((c) => c.record)], detail: `the gateway warned about proxy-shaped traffic from ${warn[0]!.record.clientAddr ?? 'the proxy'}` };
    },
  },
  {
    id: 'overload',
    title: 'the proxy ran out of connections or file descriptors under load',
    fix: 'nginx:  worker_rlimit_nofile 65535;  events { worker_connections 8192; }\nsystem: ulimit -n 65535 (launchd: SoftResourceLimits NumberOfFiles)',
    test: (f) => {
      const ev = f.nearby.filter((e) => e.errorKind === 'worker-connections' || e.errorKind === 'too-many-open-files');
      return ev.length ? { confidence: 0.8, evidence: ev, detail: ev[0]!.message ?? '' } : undefined;
    },
  },
  {
    id: 'upstream-header-too-big',
    title: "the gateway's response headers exceed the proxy's buffer",
    fix: 'nginx:  proxy_buffer_size 16k; proxy_buffers 8 16k;',
    test: (f) => fromErrors(f, ['upstream-header-too-big'], 0.95),
  },
  {
    id: 'no-live-upstreams',
    title: 'every upstream was marked down after earlier failures',
    fix: 'Find the first failures (the lines before this one) and fix those; meanwhile:\nnginx:  server 127.0.0.1:18789 max_fails=3 fail_timeout=5s;\nCaddy:  fail_duration 5s',
    test: (f) => fromErrors(f, ['no-live-upstreams'], 0.9, 'no upstream was tried: all were marked down'),
  },
  {
    id: 'upstream-permission-denied',
    title: 'the proxy may not connect to the upstream (SELinux or a sandbox)',
    fix: 'SELinux:  setsebool -P httpd_can_network_connect 1',
    test: (f) => fromErrors(f, ['upstream-permission-denied'], 0.95),
  },
  {
    id: 'upstream-closed-early',
    title: 'the gateway closed or reset the connection before a complete answer (crash, or the keep-alive race)',
    fix: "If the gateway crashed, its log says why (look before this time). If it was the keep-alive race\n(Node closes idle sockets after 5 s, the proxy reuses them):\nnginx:  upstream gw { server 127.0.0.1:18789; keepalive 16; keepalive_timeout 4s; }\n        proxy_next_upstream error timeout http_502;",
    test: (f) => {
      const ev = f.errors('upstream-premature-close', 'upstream-reset', 'upstream-incomplete-response', 'upstream-body-timeout');
      if (ev.length === 0) return undefined;
      const cut = f.status === 200 ? ' after the status was sent: the client got a cut body' : '';
      return { confidence: 0.85, evidence: ev, detail: `${ev[0]!.errorKind}${cut}` };
    },
  },
  {
    id: 'client-gave-up',
    title: 'the client closed the connection before the answer (not a server failure by itself)',
    fix: 'Nothing to fix in the proxy; if answers are slow, see the gateway side of this request.',
    test: (f) => {
      if (f.status !== 499 && f.status !== 0) return undefined;
      if (f.status === 0 && f.upgradeRequested) return undefined; // Caddy 2.6 logs WebSockets with status 0
      return { confidence: 0.9, evidence: [...f.access, ...f.errors('client-closed')], detail: `the client left after ${ms(f.duration)}` };
    },
  },
];
