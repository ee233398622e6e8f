/**
 * What an attacker or a bad day brings to the agent (issue 13's hardening list): a config that
 * cannot work is refused at load with its file and line, a host name that only looks like
 * loopback is not loopback, a token file others can read is said, `parse` on an endless input
 * stops.
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopProcess } from '../fixtures/lab/lab.js';
import { Agent, isLoopbackAddress, resolvesToLoopback } from '../src/agent/agent.js';
import { ConfigError, loadConfig } from '../src/agent/config.js';
import { resolveExport } from '../src/export/config.js';
import { ExportPipeline } from '../src/export/pipeline.js';
import { intakeFile } from '../src/intake/intakeFile.js';
import { RecordIndex, storedLineCount } from '../src/store/recordIndex.js';
import { combinedLine, fixture } from './helpers.js';
import { OtlpReceiver } from './otlpReceiver.js';
import { CLI, httpGet, startAgentProcess } from './support/agent.js';

const t = suite('hardening');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'claw-hard-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

t('a bad zone or log_format is refused at load with file:line, not retried on every read', () => {
  const f = cfg(
    'a.yaml',
    `index: ${dir}/i.db\nsources:\n  - path: /tmp/x.log\n    zone: Mars/Olympus\n  - path: /tmp/y.log\n    logFormat: "log_format x '$remote_addr$remote_user';"\n`,
  );
  assert.throws(
    () => loadConfig(f),
    (e: Error) =>
      e instanceof ConfigError &&
      /a\.yaml:4: sources\[0\]\.zone: unknown time zone "Mars\/Olympus"/.test(e.message) &&
      /a\.yaml:6: sources\[1\]\.logFormat: /.test(e.message),
  );
  // The agent refuses to start: exit 2, the message, no stack trace.
  const r = spawnSync(process.execPath, [CLI, 'agent', '-c', f], { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /a\.yaml:4: sources\[0\]\.zone/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  // Good ones pass.
  const ok = cfg(
    'ok.yaml',
    `sources:\n  - path: /tmp/x.log\n    zone: Europe/Berlin\n  - path: /tmp/y.log\n    logFormat: "log_format x '$remote_addr [$time_local] \\"$request\\" $status';"\n`,
  );
  assert.is(loadConfig(ok).sources.length, 2);
});

t('retention.everyMinutes out of what a timer can hold is refused (43,200 ran retention every 1 ms)', () => {
  assert.throws(
    () => loadConfig(cfg('r.yaml', 'retention: { everyMinutes: 43200 }\n')),
    /r\.yaml:1: retention\.everyMinutes: must be <= 10080/,
  );
  assert.throws(
    () => loadConfig(cfg('z.yaml', 'retention: { everyMinutes: 0 }\n')),
    /retention\.everyMinutes: must be >= 1/,
  );
  assert.is(loadConfig(cfg('ok.yaml', 'retention: { everyMinutes: 10080 }\n')).retention.everyMinutes, 10080);
});

t('a YAML alias bomb is a config error, not a stack trace or a hang', () => {
  const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [k, p] of [
    ['b', 'a'],
    ['c', 'b'],
    ['d', 'c'],
    ['e', 'd'],
    ['f', 'e'],
    ['g', 'f'],
    ['h', 'g'],
  ])
    rows.push(`${k}: &${k} [${Array(9).fill(`*${p}`).join(',')}]`);
  const f = cfg('bomb.yaml', `${rows.join('\n')}\n`);
  assert.throws(
    () => loadConfig(f),
    (e: Error) => e instanceof ConfigError && /bomb\.yaml: not a usable config: Excessive alias count/.test(e.message),
  );
  const r = spawnSync(process.execPath, [CLI, 'agent', '-c', f], { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 2);
  assert.not.match(r.stderr, /\n\s+at /);
});

t('an empty config on SIGHUP is refused (the one in use stays), at start it means the defaults', () => {
  const f = cfg('empty.yaml', '');
  assert.is(loadConfig(f).api.port, 18790, 'at start: the defaults');
  assert.throws(
    () => loadConfig(f, process.env, { refuseEmpty: true }),
    /empty\.yaml: the config is empty; kept the one in use/,
  );
  assert.throws(
    () => loadConfig(cfg('c.yaml', '# only a comment\n'), process.env, { refuseEmpty: true }),
    /the config is empty/,
  );
  assert.ok(
    loadConfig(cfg('b.yaml', '{}\n'), process.env, { refuseEmpty: true }),
    '`{}` asks for the defaults on purpose',
  );
});

t('loopback is decided on resolved addresses: "127.evil.example" is not loopback', async () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['10.0.0.1', '0.0.0.0', '::', '::ffff:10.0.0.1', '127.evil.example', 'localhost.evil'])
    assert.not.ok(isLoopbackAddress(a), a);
  assert.is(await resolvesToLoopback('127.evil.example'), false);
  assert.is(await resolvesToLoopback('127.0.0.1'), true);
  assert.is(await resolvesToLoopback('localhost'), true);
  const config = {
    ...loadConfig(undefined),
    index: path.join(dir, 'i.db'),
    sources: [],
    api: { host: '127.evil.example', port: 0, tokenEnv: 'CLAW_TRACE_TOKEN_UNSET_HERE' },
  };
  const agent = new Agent(config, pino({ level: 'silent' }));
  try {
    await agent.start().then(
      () => assert.unreachable('started without a token'),
      (e: Error) => {
        assert.instance(e, ConfigError);
        assert.match(
          e.message,
          /127\.evil\.example, which does not resolve to loopback addresses only: the API needs a bearer token/,
        );
      },
    );
  } finally {
    await agent.stop();
  }
});

t('a token file others can read is said at warn; a private one is not', async () => {
  const token = path.join(dir, 'token');
  writeFileSync(token, 'a'.repeat(32));
  const run = (mode: number) => {
    chmodSync(token, mode);
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      {
        write: (l: string) => {
          lines.push(l);
        },
      },
    );
    const config = {
      ...loadConfig(undefined),
      index: path.join(dir, 'i.db'),
      sources: [],
      api: { host: '127.0.0.1', port: 0, tokenFile: token, tokenEnv: 'X' },
    };
    new Agent(config, log).index.close();
    return lines.join('');
  };
  assert.match(run(0o644), /"level":40[^\n]*readable by other users \(mode 644\): chmod 600 it/);
  assert.not.match(run(0o600), /readable by other users/);
});

t('`parse /dev/zero` stops with an error (exit 2) instead of running forever', () => {
  const began = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'parse', '/dev/zero'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 2, `exit ${r.status} ${r.signal ?? ''} ${r.stderr}`);
  assert.match(r.stderr, /\/dev\/zero: line 1 at byte 0: no newline in 64 MiB: not a line-oriented log/);
  assert.ok(Date.now() - began < 60_000);
});

t('/readyz is 503 while the intake cannot write (the index full), ready again after, nothing lost', async () => {
  const log = path.join(dir, 'access.log');
  writeFileSync(log, '');
  const config = {
    ...loadConfig(undefined),
    index: path.join(dir, 'i.db'),
    sources: [{ path: log }],
    api: { host: '127.0.0.1', port: 0, tokenEnv: 'X' },
  };
  const agent = new Agent(config, pino({ level: 'silent' }));
  const count = () => storedLineCount(agent.index.db);
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>) => {
    const end = Date.now() + 20_000;
    while (!(await ok())) {
      if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ready = async () => {
    const r = await fetch(`${agent.url}/readyz`);
    return { status: r.status, body: (await r.json()) as { reason?: string } };
  };
  try {
    await agent.start();
    appendFileSync(log, `${Array.from({ length: 10 }, (_, i) => combinedLine(i)).join('\n')}\n`);
    await waitFor('the first lines', () => count() === 10);
    assert.is((await ready()).status, 200);
    // The disk is full: no page can be added to the index.
    const pages = agent.index.db.pragma('page_count', { simple: true }) as number;
    agent.index.db.pragma(`max_page_count = ${pages}`);
    appendFileSync(log, `${Array.from({ length: 3000 }, (_, i) => combinedLine(10 + i)).join('\n')}\n`);
    await waitFor('/readyz 503', async () => (await ready()).status === 503);
    assert.match(
      (await ready()).body.reason ?? '',
      /the intake cannot write to the index: .*access\.log: database or disk is full/,
    );
    agent.index.db.pragma('max_page_count = 1073741823'); // space again
    await waitFor('every line, after the disk has room again', () => count() === 3010);
    await waitFor('/readyz 200', async () => (await ready()).status === 200);
  } finally {
    await agent.stop();
  }
});

t(
  'SIGTERM exits within the 10 s it promises while the OTLP endpoint never answers; the spans stay in the outbox',
  async () => {
    const requests: http.IncomingMessage[] = [];
    const hang = http.createServer((req) => {
      requests.push(req);
    }); // accepts, never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const port = (hang.address() as { port: number }).port;
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    const a = await startAgentProcess(
      dir,
      'hang',
      `index: ${dir}/i.db\nsources:\n  - path: ${log}\nexport: { endpoint: "http://127.0.0.1:${port}", timeoutMs: 60000, joinWindowMs: 100 }\n`,
      {},
      30_000,
    );
    try {
      appendFileSync(log, readFileSync(fixture('nginx', 'claw_json.log'), 'utf8')); // lines with request IDs: traces to export
      const end = Date.now() + 20_000;
      while (requests.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.ok(requests.length > 0, 'a delivery is hanging on the endpoint');
      const began = Date.now();
      await stopProcess(a.p, 'SIGTERM', 30_000);
      const tookMs = Date.now() - began;
      assert.is(a.p.exitCode, 0, a.stderr());
      assert.ok(tookMs < 11_000, `stopped in ${tookMs} ms`);
      assert.match(a.stderr(), /spans still wait in the outbox; they are sent after the next start/);
    } finally {
      await stopProcess(a.p, 'SIGKILL');
      for (const r of requests) r.socket.destroy();
      await new Promise((r) => hang.close(r));
    }
  },
);

t('the exporter honours Retry-After on 429 and 503: no delivery sooner than the endpoint asked', async () => {
  for (const status of [429, 503]) {
    let posts = 0;
    const server = http.createServer((req, res) => {
      posts++;
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'retry-after': '30' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const db = path.join(dir, `ra${status}.db`);
    const log = path.join(dir, `ra${status}.log`);
    writeFileSync(log, readFileSync(fixture('nginx', 'claw_json.log'), 'utf8'));
    const idx = new RecordIndex(db);
    const config = resolveExport(
      { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, joinWindowMs: 1, timeoutMs: 800 },
      { hostName: 'b' },
      {},
    ).config!;
    const p = new ExportPipeline(db, config, { startAfter: 0 });
    try {
      await intakeFile(idx, log);
      const end = Date.now() + 4000;
      while (Date.now() < end) {
        while (p.tick()) {
          /* more */
        }
        void p.send();
        await new Promise((r) => setTimeout(r, 20));
      }
      const s = p.stats();
      assert.ok(s.failures >= 1 && s.traces > 0, `it tried, and the spans wait (${status})`);
      assert.is(
        posts,
        1,
        `one POST in 4 s, then it waits the 30 s asked (${status}); the backoff alone would have tried again within 1 s`,
      );
      assert.ok((s.retryInMs ?? 0) > 25_000, `next attempt in ${s.retryInMs} ms`);
    } finally {
      await p.stop();
      idx.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }
});

t(
  'the outbox deleted under a running agent (rm index.outbox.db*): said at warn, rebuilt, every trace still arrives after a crash',
  async () => {
    const receiver = await new OtlpReceiver().up();
    await receiver.down(); // spans wait in the outbox
    const db = path.join(dir, 'i.db');
    const log = path.join(dir, 'access.log');
    writeFileSync(log, '');
    const template = JSON.parse(readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n')[0]!) as Record<
      string,
      string
    >;
    const line = (i: number) =>
      JSON.stringify({
        ...template,
        req_id: `del-${i}`,
        nginx_request_id: `del-${i}`,
        inbound_request_id: '',
        msec: (1795358000 + i / 100).toFixed(3),
      });
    const write = (from: number, to: number) =>
      appendFileSync(log, `${Array.from({ length: to - from }, (_, k) => line(from + k)).join('\n')}\n`);
    const yaml = `index: ${db}\nsources:\n  - path: ${log}\nexport: { endpoint: "${receiver.url}", joinWindowMs: 100, timeoutMs: 1000 }\n`;
    const outboxSpans = async (port: number) =>
      Number(/^claw_trace_export_outbox_spans (\d+)/m.exec((await httpGet(port, '/metrics')).body)?.[1] ?? 0);
    const until = async (what: string, ok: () => Promise<boolean> | boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let a = await startAgentProcess(dir, 'del', yaml, {}, 30_000);
    try {
      write(0, 1500);
      await until('1,500 traces waiting in the outbox', async () => (await outboxSpans(a.port)) >= 1500, 30_000);
      const outbox = `${db.replace(/\.db$/, '')}.outbox.db`;
      for (const x of ['', '-wal', '-shm']) rmSync(outbox + x, { force: true });
      write(1500, 3000);
      await until(
        'the rebuild said at warn',
        () => /outbox \S+ was deleted while in use; rebuilt from the \d+ spans/.test(a.stderr()),
        10_000,
      );
      assert.match(a.stderr(), /"level":40[^\n]*was deleted while in use/);
      await until('3,000 traces waiting in the new outbox', async () => (await outboxSpans(a.port)) >= 3000, 30_000);
      assert.is(statSync(outbox).mode & 0o777, 0o600, 'the rebuilt outbox is private too');
      // A crash now: what waits is in the rebuilt file, not in the deleted one that died with the process.
      await stopProcess(a.p, 'SIGKILL');
      await receiver.up();
      a = await startAgentProcess(dir, 'del', yaml, {}, 30_000);
      const traces = () => new Set(receiver.spans.map((s) => s.traceId)).size;
      await until('every trace delivered', () => traces() >= 3000, 60_000);
      assert.is(traces(), 3000, 'every trace, none missing');
    } finally {
      await stopProcess(a.p, 'SIGKILL');
      await receiver.down();
    }
  },
);

t(
  'spans dropped over the outbox cap are said once with the count; a delivered outbox gives its disk space back',
  async () => {
    const receiver = await new OtlpReceiver().up();
    const db = path.join(dir, 'ob.db');
    const log = path.join(dir, 'ob.log');
    const template = JSON.parse(readFileSync(fixture('nginx', 'claw_json.log'), 'utf8').split('\n')[0]!) as Record<
      string,
      string
    >;
    const line = (i: number) =>
      JSON.stringify({
        ...template,
        req_id: `ob-${i}`,
        nginx_request_id: `ob-${i}`,
        inbound_request_id: '',
        msec: (1795358000 + i / 100).toFixed(3),
      });
    const logged: string[] = [];
    const idx = new RecordIndex(db);
    const config = resolveExport(
      { endpoint: receiver.url, joinWindowMs: 1, timeoutMs: 500, outboxMaxBytes: 4 * 1024 * 1024 },
      { hostName: 'b' },
      {},
    ).config!;
    const p = new ExportPipeline(db, config, { startAfter: 0, log: (_l, m) => logged.push(m) });
    const pump = async (done: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end && !done()) {
        while (p.tick()) {
          /* more */
        }
        void p.send();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const outboxBytes = () =>
      ['', '-wal'].reduce(
        (n, x) => n + (statSync(`${db.replace(/\.db$/, '')}.outbox.db${x}`, { throwIfNoEntry: false })?.size ?? 0),
        0,
      );
    try {
      await receiver.down();
      writeFileSync(log, `${Array.from({ length: 12_000 }, (_, i) => line(i)).join('\n')}\n`);
      await intakeFile(idx, log);
      await pump(() => p.stats().pendingRequests === 0 && p.stats().droppedSpans > 0, 30_000);
      const s = p.stats();
      assert.ok(s.droppedSpans > 0, 'over the cap');
      const said = logged.filter((m) => m.includes('over its cap'));
      assert.is(said.length, 1, said.join('\n'));
      assert.match(said[0]!, /spans of the oldest traces dropped/);
      const full = outboxBytes();
      assert.ok(full > 3 * 1024 * 1024, `the outbox grew to its cap (${full} bytes)`);
      await receiver.up();
      await pump(() => p.stats().traces === 0, 30_000);
      assert.is(p.stats().traces, 0, 'delivered');
      const after = outboxBytes();
      assert.ok(after < 512 * 1024, `disk given back: ${full} -> ${after} bytes`);
      assert.ok(logged.some((m) => /MiB of disk given back/.test(m)));
    } finally {
      await p.stop();
      idx.close();
      await receiver.down();
    }
  },
);

t.run();
