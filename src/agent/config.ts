/**
 * The agent's config: a YAML file (optional), validated with a JSON schema (ajv), over defaults
 * that work on a stock host. Errors name the key and the fix.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import YAML, { LineCounter } from 'yaml';
import { createParser, FORMATS } from '../../parsers/index.js';
import { zoneOffsetResolver } from '../../parsers/time.js';
import { UserError } from '../../parsers/userError.js';
import { defaultIndexPath } from '../config/paths.js';
// Types only from export/config.js: its values load the OTel packages, which an agent without an endpoint never needs.
import type { ExportSettings } from '../export/config.js';
import { OTLP_PROTOCOLS } from '../export/requested.js';
import type { TailSource } from '../tail/tailer.js';

export interface AgentConfig {
  /** Labels of this builder: stored with its files and put on its spans. */
  region?: string;
  builder: string;
  tag?: string;
  environment?: string;
  index: string;
  sources: TailSource[];
  /** On the first start on an empty index, read the files there from their start (default: from their end; later starts never skip). */
  backfill: boolean;
  api: { host: string; port: number; tokenFile?: string; tokenEnv: string };
  retention: { maxAge: string; maxSize?: string; everyMinutes: number };
  export: ExportSettings;
  /** Other regions' agents, asked by cross-region lookups. */
  agents: string[];
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

export const DEFAULT_PORT = 18790;

/** Where Debian and Homebrew put the proxies' logs, and where the gateway writes its own. */
export const DEFAULT_SOURCES: TailSource[] = [
  { path: '/var/log/nginx/access.log' },
  { path: '/var/log/nginx/error.log' },
  { path: '/opt/homebrew/var/log/nginx/access.log' },
  { path: '/opt/homebrew/var/log/nginx/error.log' },
  { path: '/usr/local/var/log/nginx/access.log' },
  { path: '/usr/local/var/log/nginx/error.log' },
  { path: '/var/log/caddy/*.log' },
  { path: '/opt/homebrew/var/log/caddy/*.log' },
  { path: '/tmp/openclaw/openclaw-*.log' },
];

export function defaults(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return {
    builder: hostname(),
    index: defaultIndexPath(env),
    sources: DEFAULT_SOURCES,
    backfill: false,
    api: { host: '127.0.0.1', port: DEFAULT_PORT, tokenEnv: 'CLAW_TRACE_TOKEN' },
    retention: { maxAge: '7d', everyMinutes: 10 },
    export: {},
    agents: [],
    log: { level: 'info' },
  };
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    region: { type: 'string', minLength: 1, maxLength: 64 },
    builder: { type: 'string', minLength: 1, maxLength: 128 },
    tag: { type: 'string', maxLength: 128 },
    environment: { type: 'string', maxLength: 64 },
    index: { type: 'string', minLength: 1 },
    backfill: { type: 'boolean' },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { type: 'string', minLength: 1 },
          format: { enum: Object.keys(FORMATS) },
          region: { type: 'string' },
          logFormat: { type: 'string' },
          zone: { type: 'string' },
          requestIdHeader: { type: 'string' },
          followSymlinks: { type: 'boolean' },
          rotatedDir: { type: 'string', minLength: 1 },
        },
      },
    },
    api: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        tokenFile: { type: 'string' },
        tokenEnv: { type: 'string', minLength: 1 },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxAge: { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|w)$' },
        maxSize: { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb|tb)$' },
        // Node's timers hold at most 2^31-1 ms (24.8 days): more ran retention every 1 ms.
        everyMinutes: { type: 'number', minimum: 1, maximum: 10080 },
      },
    },
    export: {
      type: 'object',
      additionalProperties: false,
      properties: {
        endpoint: { type: 'string' },
        protocol: { enum: OTLP_PROTOCOLS },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        outboxMaxBytes: { type: 'integer', minimum: 1 },
        joinWindowMs: { type: 'integer', minimum: 1 },
        timeoutMs: { type: 'integer', minimum: 1 },
      },
    },
    agents: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] } },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(SCHEMA);

export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** "sources[2].format: must be one of nginx-combined, ...": the key as the user wrote it, and the fix. */
function explain(file: string, e: ErrorObject): string {
  const key =
    e.instancePath
      .replace(/^\//, '')
      .replace(/\/(\d+)/g, '[$1]')
      .replace(/\//g, '.') || '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${file}: ${key === '(top level)' ? '' : `${key}.`}${String(p.additionalProperty)}: unknown key (known: ${Object.keys(propertiesAt(e.schemaPath)).join(', ')})`;
    case 'enum':
      return `${file}: ${key}: must be one of ${(p.allowedValues as string[]).join(', ')}`;
    case 'pattern':
      return `${file}: ${key}: ${key.includes('maxAge') ? 'a duration such as 7d or 12h' : key.includes('maxSize') ? 'a size such as 2GB or 500MB' : key.startsWith('agents') ? 'an http:// or https:// URL of another agent' : `must match ${String(p.pattern)}`}`;
    case 'required':
      return `${file}: ${key}: needs "${String(p.missingProperty)}"`;
    default:
      return `${file}: ${key}: ${e.message ?? 'invalid'}`;
  }
}

function propertiesAt(schemaPath: string): Record<string, unknown> {
  let node: unknown = SCHEMA;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1))
    node = (node as Record<string, unknown>)[part];
  return (node as { properties?: Record<string, unknown> }).properties ?? {};
}

/** The effective config: defaults, then the file (if any). Throws ConfigError naming the key. */
export function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: { refuseEmpty?: boolean } = {},
): AgentConfig {
  const base = defaults(env);
  if (!file) return base;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const lines = new LineCounter();
  const parsed = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (parsed.errors.length > 0) {
    const err = parsed.errors[0]!;
    const at = err.linePos?.[0] ? `:${err.linePos[0].line}` : '';
    throw new ConfigError(`${file}${at}: not valid YAML: ${err.message.split('\n')[0]}`);
  }
  let doc: unknown;
  try {
    // The yaml package refuses documents whose aliases expand past a bound (a "billion laughs").
    doc = parsed.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (e) {
    throw new ConfigError(`${file}: not a usable config: ${(e as Error).message}`);
  }
  if (options.refuseEmpty && (parsed.contents === null || doc === null)) {
    throw new ConfigError(
      `${file}: the config is empty; kept the one in use (an empty file would mean all defaults: write \`{}\` for that)`,
    );
  }
  /** The line of a key path in the file: "agent.yaml:4". */
  const lineAt = (keys: (string | number)[]): string => {
    for (let n = keys.length; n >= 0; n--) {
      const node = n === 0 ? parsed.contents : parsed.getIn(keys.slice(0, n), true);
      const at = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
      if (at !== undefined) return `:${lines.linePos(at).line}`;
    }
    return '';
  };
  if (!validate(doc)) {
    // Each error with the line of the key it is about: "agent.yaml:4: sources[0].format: ...".
    const lineOf = (e: ErrorObject): string => {
      const keys: (string | number)[] = e.instancePath
        .split('/')
        .slice(1)
        .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      if (e.keyword === 'additionalProperties')
        keys.push(String((e.params as { additionalProperty: string }).additionalProperty));
      return lineAt(keys);
    };
    throw new ConfigError(validate.errors!.map((e) => explain(`${file}${lineOf(e)}`, e)).join('\n'));
  }
  const c = doc as Partial<AgentConfig>;
  // What the parsers would refuse on every read, refused here once: a bad zone or log_format.
  const bad: string[] = [];
  (c.sources ?? []).forEach((src, i) => {
    if (src.zone !== undefined) {
      try {
        zoneOffsetResolver(src.zone);
      } catch (e) {
        bad.push(`${file}${lineAt(['sources', i, 'zone'])}: sources[${i}].zone: ${(e as Error).message}`);
      }
    }
    if (src.logFormat !== undefined || src.format === 'nginx-access') {
      try {
        createParser('nginx-access', { logFormat: src.logFormat, zone: src.zone });
      } catch (e) {
        bad.push(
          `${file}${lineAt(['sources', i, src.logFormat !== undefined ? 'logFormat' : 'format'])}: sources[${i}].${src.logFormat !== undefined ? 'logFormat' : 'format'}: ${(e as Error).message}`,
        );
      }
    }
  });
  if (bad.length > 0) throw new ConfigError(bad.join('\n'));
  const dir = path.dirname(path.resolve(file));
  return {
    ...base,
    ...c,
    index: c.index ? path.resolve(dir, c.index) : base.index,
    api: { ...base.api, ...c.api },
    retention: { ...base.retention, ...c.retention },
    export: { ...base.export, ...c.export },
    log: { ...base.log, ...c.log },
  };
}
