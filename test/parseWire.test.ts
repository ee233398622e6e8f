import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LogRecord } from '../parsers/index.js';
import { packLines, unpackLines } from '../src/intake/parseWire.js';

const t = suite('parseWire');

t("a parsed batch's lines cross threads as columns and come back as the fields the store reads", () => {
  const a = new LogRecord('nginx-access', 1795352512486);
  Object.assign(a, { requestId: 'r1', traceId: 't1', connection: 0, status: 502, upgrade: 'websocket' });
  Object.assign(a, { offset: 0, lineNo: 1, method: 'GET' });
  const b = new LogRecord('openclaw', 1795352512000.5);
  Object.assign(b, { errorKind: 'upstream-refused', offset: 2 ** 40 - 1, lineNo: 7 });
  const lines = [
    { record: a, raw: 'line é€ one' },
    { record: b, raw: '' },
  ];
  const wire = structuredClone(packLines(lines));
  const back = unpackLines(wire);
  const fields = (r: LogRecord) => ({
    time: r.time,
    source: r.source,
    requestId: r.requestId,
    traceId: r.traceId,
    connection: r.connection,
    status: r.status,
    errorKind: r.errorKind,
    upgrade: r.upgrade,
    offset: r.offset,
    lineNo: r.lineNo,
  });
  assert.equal(
    back,
    lines.map((l) => ({ record: fields(l.record), raw: l.raw })),
  );
  assert.is(back[1]!.record.status, undefined, 'a field the line does not have stays unset (not NaN, not 0)');
  assert.is(back[0]!.record.connection, 0);
  assert.equal(unpackLines(structuredClone(packLines([]))), []);
});

t.run();
