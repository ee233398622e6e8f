import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser, type LogRecord, ParseError, type ParserOptions } from '../parsers/index.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (...p: string[]) => path.join(REPO, 'fixtures', ...p);

export interface ParsedFile {
  records: LogRecord[];
  errors: { lineNo: number; error: ParseError }[];
}

/** Every line of a file through one parser (the fixtures are small). */
export function parseLines(file: string, format: string, opts: ParserOptions = {}): ParsedFile {
  const parse = createParser(format, opts);
  const out: ParsedFile = { records: [], errors: [] };
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line === '') return;
      const r = parse(line);
      if (r instanceof ParseError) out.errors.push({ lineNo: i + 1, error: r });
      else out.records.push(r);
    });
  return out;
}

export const pathOf = (uri: string | undefined): string => (uri ?? '').split('?')[0] ?? '';

/** Seeded PRNG (mulberry32) so a fuzz failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A well-formed nginx combined line, distinct for each i (its path carries i). */
export function combinedLine(i: number, status = 200): string {
  const s = String(i % 60).padStart(2, '0');
  return `127.0.0.1 - - [22/Nov/2026:13:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${s} +0000] "GET /r/${i} HTTP/1.1" ${status} ${i % 1000} "-" "curl/8"`;
}

/** The request number a combined line from combinedLine carries. */
export const lineNumberOf = (raw: string) => Number(/\/r\/(\d+)/.exec(raw)?.[1] ?? NaN);

/**
 * Every ID-run entry of an index (schema 7's pages, decoded): kind, key (a string for IDs, hex for
 * a connection's), record and run, in (kind, key, record) order; `readable` only the readable runs'.
 */
export function idEntries(
  db: import('better-sqlite3').Database,
  readable = false,
): { run: number; kind: number; key: string; record: bigint }[] {
  const out: { run: number; kind: number; key: string; record: bigint }[] = [];
  const rows = db
    .prepare(
      `SELECT run, kind, data FROM id_pages${readable ? ' WHERE run IN (SELECT run FROM id_runs WHERE state = 0)' : ''}`,
    )
    .all() as { run: number; kind: number; data: Buffer }[];
  for (const { run, kind, data } of rows) {
    for (let at = 0; at < data.length; ) {
      const kl = data.readUInt16LE(at);
      const key = data.subarray(at + 2, at + 2 + kl);
      out.push({
        run,
        kind,
        key: kind === 2 ? key.toString('hex') : key.toString('utf8'),
        record: data.readBigInt64LE(at + 2 + kl),
      });
      at += 2 + kl + 8;
    }
  }
  return out.sort((a, b) =>
    a.kind !== b.kind
      ? a.kind - b.kind
      : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) ||
        (a.record < b.record ? -1 : a.record > b.record ? 1 : 0),
  );
}

/** Adds a file of nginx JSON access lines (/var/log/x.log) to an index, for tests that commit lines to it. */
export function addTestFile(idx: import('../src/store/recordIndex.js').RecordIndex) {
  return idx.addFile({
    path: '/var/log/x.log',
    dev: 1,
    ino: 2,
    fpLen: 1,
    fpHash: 'h',
    format: 'nginx-json',
    region: null,
    options: {},
  });
}

/**
 * nginx JSON access lines for a commit (the parsed record with its offset and line number), line
 * `from + k` for spec k: its request ID, log time, status (200: kept without a row) and connection
 * (default from + k + 1). Lines the parser refuses are left out, as a commit never gets them.
 */
export function nginxJsonBatch(
  specs: readonly { key: string; time: number; status?: number; conn?: number }[],
  from = 0,
): import('../src/store/prepare.js').BatchLine[] {
  const parse = createParser('nginx-json');
  const out: import('../src/store/prepare.js').BatchLine[] = [];
  specs.forEach((s, k) => {
    const i = from + k;
    const raw = JSON.stringify({
      msec: (s.time / 1000).toFixed(3),
      status: String(s.status ?? 200),
      request: `GET /r/${i} HTTP/1.1`,
      req_id: s.key,
      connection: String(s.conn ?? i + 1),
    });
    const record = parse(raw);
    if (record instanceof ParseError) return;
    record.offset = i * 1000;
    record.lineNo = i + 1;
    out.push({ record, raw });
  });
  return out;
}
