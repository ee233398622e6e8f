import { readdirSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BUILTIN_LOG_FORMATS,
  compileNginxLogFormat,
  createParser,
  LogFormatError,
  type LogRecord,
  ParseError,
  parseLogFormatDirective,
  toInt,
} from '../../parsers/index.js';
import { msecToMs } from '../../parsers/time.js';
import { fixture, prng } from '../helpers.js';

const t = suite('nginx access');

function rec(r: LogRecord | ParseError): LogRecord {
  if (r instanceof ParseError) throw new Error(`parse error: ${r.reason}: ${r.detail}`);
  return r;
}

t('log_format directive: several quoted parts, escape=, comments and both quote kinds', () => {
  const lf = parseLogFormatDirective(`log_format  edge escape=json  '{"a":"$remote_addr",' # a comment
      "\\"s\\":\\"$status\\"}";`);
  assert.is(lf.name, 'edge');
  assert.is(lf.escape, 'json');
  assert.is(lf.format, '{"a":"$remote_addr","s":"$status"}');
  assert.is(parseLogFormatDirective('$remote_addr $status').name, 'custom');
});

t('bad log_format text is a clear error, not a crash', () => {
  assert.throws(
    () => parseLogFormatDirective(`log_format x escape=yaml '$status';`),
    (e: Error) => e instanceof LogFormatError && /escape=yaml/.test(e.message),
  );
  assert.throws(() => parseLogFormatDirective(`log_format x '$status`), /unterminated/);
  assert.throws(() => compileNginxLogFormat('$remote_addr $status'), /no time/);
  assert.throws(() => compileNginxLogFormat('$msec$status'), /nothing between them/);
  assert.throws(() => compileNginxLogFormat('plain text'), /no \$variables/);
});

t('combined: fields, $time_local with offset, default \\xXX escapes decoded as UTF-8', () => {
  const p = createParser('nginx-combined');
  const r = rec(
    p(
      '10.0.0.7 - alice [22/Nov/2026:14:03:38 +0100] "GET /caf\\xC3\\xA9?q=\\x22 HTTP/1.1" 502 157 "https://r.example/" "curl/8 \\x5Cx"',
    ),
  );
  assert.is(r.time, Date.UTC(2026, 10, 22, 13, 3, 38));
  assert.is(r.clientAddr, '10.0.0.7');
  assert.is(r.user, 'alice');
  assert.is(r.method, 'GET');
  assert.is(r.uri, '/café?q="');
  assert.is(r.protocol, 'HTTP/1.1');
  assert.is(r.status, 502);
  assert.is(r.bytesSent, 157);
  assert.is(r.referer, 'https://r.example/');
  assert.is(r.userAgent, 'curl/8 \\x');
});

t(
  'upstream columns become attempts: retries (, ), internal redirects ( : ), and - for phases that never happened',
  () => {
    const p = compileNginxLogFormat(
      `$msec "$request" $status $request_time "$upstream_addr" "$upstream_status" "$upstream_connect_time" "$upstream_header_time" "$upstream_response_time" "$upstream_bytes_received"`,
    );
    const r = rec(
      p(
        '1795352512.486 "GET /x HTTP/1.1" 200 0.120 "127.0.0.1:9999, 127.0.0.1:9001 : 127.0.0.1:9002" "502, 504 : 200" "-, 0.001 : 0.002" "-, - : 0.050" "0.000, 1.000 : 0.100" "0, 0 : 512"',
      ),
    );
    assert.is(r.time, 1795352512486);
    assert.is(r.durationMs, 120);
    assert.is(r.start, 1795352512366);
    assert.equal(r.upstreams, [
      {
        addr: '127.0.0.1:9999',
        status: 502,
        connectMs: undefined,
        headerMs: undefined,
        responseMs: 0,
        bytesReceived: 0,
        bytesSent: undefined,
        redirect: 0,
      },
      {
        addr: '127.0.0.1:9001',
        status: 504,
        connectMs: 1,
        headerMs: undefined,
        responseMs: 1000,
        bytesReceived: 0,
        bytesSent: undefined,
        redirect: 0,
      },
      {
        addr: '127.0.0.1:9002',
        status: 200,
        connectMs: 2,
        headerMs: 50,
        responseMs: 100,
        bytesReceived: 512,
        bytesSent: undefined,
        redirect: 1,
      },
    ]);
    const dead = rec(p('1795352512.486 "GET /x HTTP/1.1" 502 0.000 "backend" "502" "-" "-" "0.000" "0"'));
    assert.is(dead.upstreams![0]!.addr, 'backend', 'no live upstreams: the group name');
    const none = rec(p('1795352512.486 "GET /x HTTP/1.1" 200 0.000 "-" "-" "-" "-" "-" "-"'));
    assert.is(none.upstreams, undefined, 'served without an upstream');
  },
);

t('unquoted multi-value upstream columns followed by a space still split right', () => {
  const p = compileNginxLogFormat('$time_iso8601 up=$upstream_addr us=$upstream_status rt=$request_time');
  const r = rec(p('2026-11-22T13:06:00+01:00 up=127.0.0.1:1, 127.0.0.1:2 : 127.0.0.1:3 us=502, 502 : 200 rt=0.004'));
  assert.is(r.time, Date.UTC(2026, 10, 22, 12, 6, 0));
  assert.equal(
    r.upstreams!.map((u) => [u.addr, u.status, u.redirect]),
    [
      ['127.0.0.1:1', 502, 0],
      ['127.0.0.1:2', 502, 0],
      ['127.0.0.1:3', 200, 1],
    ],
  );
  assert.is(r.durationMs, 4);
});

t('unknown variables are kept under their own name; the propagated ID beats $request_id', () => {
  const p = compileNginxLogFormat(
    '$msec $request_id $req_id $http_x_request_id $ssl_protocol ${geoip_country_code}x $http_traceparent',
  );
  const r = rec(
    p(
      '1795352512.486 aaaabbbbccccddddeeeeffff00001111 client-1 client-1 TLSv1.3 DEx 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ),
  );
  assert.is(r.requestId, 'client-1');
  assert.is(r.inboundRequestId, 'client-1');
  assert.equal(r.fields, { ssl_protocol: 'TLSv1.3', geoip_country_code: 'DE' });
  assert.is(r.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.is(r.spanId, '00f067aa0ba902b7');
});

t('escape=json: \\" \\\\ \\u00XX decoded; empty values are missing', () => {
  const p = createParser('nginx-claw_json');
  const line = JSON.stringify({}).length;
  void line;
  const fmt = BUILTIN_LOG_FORMATS.claw_json!;
  assert.ok(fmt.includes('escape=json'));
  const json = compileNginxLogFormat(
    `log_format j escape=json '{"t":"$msec","id":"$req_id","ua":"$http_user_agent","x":"$http_x_forwarded_for"}';`,
  );
  const r = rec(json('{"t":"1795352512.486","id":"a\\"b\\\\c\\u001b[31m","ua":"","x":""}'));
  assert.is(r.requestId, 'a"b\\c\x1b[31m');
  assert.is(r.userAgent, undefined);
  assert.is(r.forwardedFor, undefined);
  assert.ok(p);
});

t('formats split by one regex: the same records and errors as the walker, line for line', () => {
  const custom = readFileSync(fixture('lab', 'nginx.conf'), 'utf8').match(/log_format custom [\s\S]*?;\n/)![0];
  // The built-in formats and the lab's; an upstream value after a separator ending in `,` (the
  // walker looks past a separator that follows `,`); no prefix, $status last; separators that
  // start with a regex's special characters; an empty last separator; one the regex declines
  // (a value with a space before a separator that starts with one).
  const formats = [
    ...Object.values(BUILTIN_LOG_FORMATS),
    custom,
    `log_format u escape=json '{"t":"$msec","u":"$upstream_addr","l":",$upstream_status","s":"$status","x":"$geo"}';`,
    `log_format p escape=json '$msec","$upstream_addr","$request_time","$req_id","$status"';`,
    '$msec^$status-$request_id]$upstream_addr\\$req_id[$upstream_status.x',
    '$remote_addr [$time_local] $status $upstream_addr',
    '$msec $time_local $status',
  ];
  const lines: string[] = [];
  for (const name of ['claw_json', 'combined', 'main', 'custom'])
    lines.push(...readFileSync(fixture('nginx', `${name}.log`), 'utf8').split('\n'));
  for (const dir of readdirSync(fixture('corpus', 'logs')).filter((d) => d.endsWith('-nginx')))
    lines.push(...readFileSync(fixture('corpus', 'logs', dir, 'access.log'), 'utf8').split('\n'));
  // Values as nginx writes them and hostile ones: escapes, a bare `"`, `,` and ` : ` lists, `-`
  // and "", multi-byte and replaced (invalid UTF-8) characters, a lone surrogate, nested JSON,
  // a repeated key, a separator's own text, long values.
  const pieces = [
    '',
    '-',
    '200',
    '5x2',
    '1795352512.486',
    '127.0.0.1:18789',
    '127.0.0.1:1, 127.0.0.1:2',
    '127.0.0.1:1 : 127.0.0.1:2',
    'a,',
    ',',
    ' : ',
    '\\"',
    '\\\\',
    '\\u00e9\\u001b',
    '"',
    '\\',
    'é€😀',
    '\uFFFD\uFFFD',
    '\uD800',
    '{"a":[1,{"b":"c"}]}',
    '","status":"500',
    '","msec":"1795352599.000',
    '"}',
    ']',
    '[',
    '^',
    '\\x22',
    '22/Nov/2026:13:03:38 +0000',
    'GET / HTTP/1.1',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'x'.repeat(70_000),
  ];
  const random = prng(14);
  const pick = () => pieces[Math.floor(random() * pieces.length)]!;
  const quoted = /"[^"]*"/g;
  for (const line of lines.filter(Boolean).slice(0, 600)) {
    // The line with some of its values replaced, every cut of it, a few with one character changed.
    for (let k = 0; k < 6; k++) lines.push(line.replace(quoted, (m) => (random() < 0.15 ? `"${pick()}"` : m)));
    for (let k = 0; k < 3; k++) lines.push(line.replace(/[^ ]+/g, (m) => (random() < 0.1 ? pick() : m)));
    for (let k = 0; k < 4; k++) lines.push(line.slice(0, Math.floor(random() * line.length)));
    for (let k = 0; k < 4; k++) {
      const at = Math.floor(random() * line.length);
      lines.push(line.slice(0, at) + '",\\- :[]^'[Math.floor(random() * 9)] + line.slice(at + 1));
    }
  }
  // Lines made from the formats themselves, every value a piece (most of them well formed).
  for (const f of formats) {
    const format = parseLogFormatDirective(f).format;
    for (let k = 0; k < 1000; k++)
      lines.push(
        format.replace(/\$[a-z_0-9]+/g, (v) => {
          if (random() < 0.8 && v === '$msec') return '1795352512.486';
          if (random() < 0.8 && v === '$time_local') return '22/Nov/2026:13:03:38 +0000';
          if (random() < 0.8 && v === '$status') return '502';
          return random() < 0.5 ? pick() : 'a1';
        }),
      );
  }
  let compared = 0;
  let splitByRegex = 0;
  for (const f of formats) {
    for (const indexOnly of [false, true]) {
      const fast = compileNginxLogFormat(f, { indexOnly });
      const walker = compileNginxLogFormat(f, { indexOnly, walkOnly: true });
      for (const line of lines) {
        const a = fast(line);
        const b = walker(line);
        assert.equal(a, b, line.slice(0, 300));
        compared++;
        if (!(a instanceof ParseError)) splitByRegex++;
      }
    }
  }
  assert.ok(compared > 30_000, `${compared} lines compared`);
  assert.ok(splitByRegex > 4_000, `${splitByRegex} lines read`);
});

t('$msec and integer values read by hand: the numbers Number() gives', () => {
  const random = prng(3);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const odd = [
    '',
    '-',
    '.',
    '1.',
    '.123',
    '1.23',
    '1.2345',
    '+1.000',
    '-1.000',
    ' 1.000',
    '1e3',
    '0x10',
    '１.000',
    '12a.000',
  ];
  const msec = [...odd, '1795352512.486', '0000000001.000', '9999999999999.999', '99999999999999.999'];
  for (let k = 0; k < 20_000; k++) msec.push(`${digits(1 + Math.floor(random() * 13))}.${digits(3)}`);
  for (const s of msec) assert.ok(Object.is(msecToMs(s), Math.round(Number(s) * 1000)), s);
  const ints = [...odd, '0', '007', '502', '4294967296', '999999999999999', '9999999999999999', '1.0', '-5', '5x2'];
  for (let k = 0; k < 20_000; k++) ints.push(digits(1 + Math.floor(random() * 17)));
  const byNumber = (s: string) => {
    if (s === '' || s === '-') return undefined;
    const n = Number(s);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  for (const s of ints) assert.is(toInt(s), byNumber(s), s);
});

t('the JSON format of SOURCES.md read by key names when its log_format is not given', () => {
  const p = createParser('nginx-json');
  const r = rec(
    p(
      '{"ts":"2026-11-22T13:01:52+00:00","msec":"1795352512.486","req_id":"9bbdcbbb056846342ccb5c94fbb45dee","nginx_request_id":"9bbdcbbb056846342ccb5c94fbb45dee","connection":"30","remote_addr":"127.0.0.1","request":"GET /redir?ms=3000 HTTP/1.1","status":"502","request_time":"0.001","upstream":"127.0.0.1:9999 : 127.0.0.1:9001","upstream_status":"502 : 502","upstream_connect_time":"- : -","upstream_response_time":"0.000 : 0.000","http_upgrade":"","user_agent":"curl/7.88.1","custom_thing":7}',
    ),
  );
  assert.is(r.time, 1795352512486);
  assert.is(r.requestId, '9bbdcbbb056846342ccb5c94fbb45dee');
  assert.is(r.connection, 30);
  assert.is(r.status, 502);
  assert.equal(
    r.upstreams!.map((u) => [u.addr, u.status, u.redirect]),
    [
      ['127.0.0.1:9999', 502, 0],
      ['127.0.0.1:9001', 502, 1],
    ],
  );
  assert.is(r.fields!.custom_thing, '7');
});

t('lines that do not fit say why', () => {
  const p = createParser('nginx-combined');
  const cut = '127.0.0.1 - - [22/Nov/2026:13:03:38 +0000] "GET /x HTTP/1.1" 200 7 "-" "cur';
  assert.is((p(cut) as ParseError).reason, 'truncated');
  assert.is((p('hello world') as ParseError).reason, 'format-mismatch');
  assert.is((p('127.0.0.1 - - [22/Nov/2026:13:03:38 +0000') as ParseError).reason, 'truncated');
  assert.is((p('') as ParseError).reason, 'empty');
  assert.is(
    (p('127.0.0.1 - - [22/Nov/2026:13:03:38 +0000] "GET / HTTP/1.1" abc 7 "-" "c"') as ParseError).reason,
    'bad-field',
  );
  assert.is(
    (p('127.0.0.1 - - [22/Nov/1970:13:03:38 +0000] "GET / HTTP/1.1" 200 7 "-" "c"') as ParseError).reason,
    'time-out-of-range',
  );
  assert.is(
    (p('127.0.0.1 - - [99/Xyz/2026:13:03:38 +0000] "GET / HTTP/1.1" 200 7 "-" "c"') as ParseError).reason,
    'bad-time',
  );
  assert.is((p('x'.repeat(300_000)) as ParseError).reason, 'line-too-long');
});

t("the intake's index-only parse: the same lines fail for the same reasons, the indexed values are equal", () => {
  const custom = readFileSync(fixture('lab', 'nginx.conf'), 'utf8').match(/log_format custom [\s\S]*?;\n/)![0];
  const cases: [string, string, string][] = [
    ...(['combined', 'main', 'claw_json'] as const).map((n): [string, string, string] => [
      n,
      BUILTIN_LOG_FORMATS[n]!,
      readFileSync(fixture('nginx', `${n}.log`), 'utf8'),
    ]),
    ['custom', custom, readFileSync(fixture('nginx', 'custom.log'), 'utf8')],
    [
      'ids',
      '$msec $request_id $req_id $http_x_request_id $http_upgrade $connection $status $http_traceparent',
      '1795352512.486 aaaabbbbccccddddeeeeffff00001111 - client-1 websocket 7 101 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n' +
        '1795352512.486 aaaabbbbccccddddeeeeffff00001111 client-2 client-2 - 8 5x2 -\n',
    ],
  ];
  const random = prng(7);
  let compared = 0;
  for (const [name, format, text] of cases) {
    const full = compileNginxLogFormat(format);
    const lean = compileNginxLogFormat(format, { indexOnly: true });
    for (const line of text.split('\n').filter(Boolean)) {
      // The line, every cut of it, and a few with one character changed.
      const variants = [line, ...Array.from({ length: Math.ceil(line.length / 5) }, (_, k) => line.slice(0, k * 5))];
      for (let k = 0; k < 20; k++) {
        const at = Math.floor(random() * line.length);
        variants.push(line.slice(0, at) + ' "-0x:,'[Math.floor(random() * 7)] + line.slice(at + 1));
      }
      for (const v of variants) {
        const a = full(v);
        const b = lean(v);
        compared++;
        if (a instanceof ParseError || b instanceof ParseError) {
          assert.is(b instanceof ParseError && b.reason, a instanceof ParseError && a.reason, `${name}: ${v}`);
          continue;
        }
        for (const f of [
          'source',
          'time',
          'requestId',
          'traceId',
          'connection',
          'status',
          'upgrade',
          'errorKind',
        ] as const)
          assert.is(b[f], a[f], `${name} ${f}: ${v}`);
        assert.is(b.userAgent, undefined, 'what the index does not store is not read');
      }
    }
  }
  assert.ok(compared > 2000, `${compared} lines compared`);
});

t.run();
