/**
 * The OpenClaw gateway's config as the checks need it: `gateway.port`, `gateway.bind`,
 * `gateway.customBindHost` and `gateway.trustedProxies`, each with its line, from the JSON5 file
 * the gateway reads (`$OPENCLAW_CONFIG_PATH`, else `~/.openclaw/openclaw.json`; a missing file
 * means the gateway's defaults: port 18789, bind loopback, no trusted proxies).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSON5 from 'json5';
import { ConfigReadError } from './nginxConfig.js';
import type { Place } from './routes.js';

/** The gateway's own default port (docs/gateway/config-gateway.md: `--port` > env > `gateway.port` > 18789). */
export const GATEWAY_DEFAULT_PORT = 18789;

export interface GatewayConfig {
  /** undefined: no file, the gateway's defaults. */
  file?: string;
  port: number;
  portPlace?: Place;
  bind: string;
  customBindHost?: string;
  bindPlace?: Place;
  trustedProxies?: string[];
  trustedProxiesPlace?: Place;
}

export function defaultGatewayConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENCLAW_CONFIG_PATH ?? path.join(env.OPENCLAW_STATE_DIR ?? path.join(os.homedir(), '.openclaw'), 'openclaw.json');
}

/** The line of the first `key:` (quoted or not) after the line of `after`. */
function keyLine(text: string, key: string): number | undefined {
  const m = new RegExp(`(^|[\\s{,])["']?${key}["']?\\s*:`, 'm').exec(text);
  return m ? text.slice(0, m.index + m[1]!.length).split('\n').length : undefined;
}

export function readGatewayConfig(file: string | undefined, required: boolean): GatewayConfig {
  const at = file ?? defaultGatewayConfigPath();
  if (!existsSync(at)) {
    if (required) throw new ConfigReadError(`${at}: no such file`);
    return { port: GATEWAY_DEFAULT_PORT, bind: 'loopback' };
  }
  let text: string;
  try { text = readFileSync(at, 'utf8'); } catch (e) { throw new ConfigReadError(`${at}: ${(e as Error).message}`); }
  let json: { gateway?: { port?: unknown; bind?: unknown; customBindHost?: unknown; trustedProxies?: unknown } };
  try {
    json = JSON5.parse(text);
  } catch (e) {
    const err = e as Error & { lineNumber?: number };
    throw new ConfigReadError(`${at}:${err.lineNumber ?? 1}: not JSON5: ${err.message.replace(/^JSON5: /, '')}`);
  }
  const g = json?.gateway ?? {};
  const place = (key: string): Place | undefined => {
    const line = keyLine(text, key);
    return line ? { file: at, line } : undefined;
  };
  const port = typeof g.port === 'number' && Number.isInteger(g.port) ? g.port : GATEWAY_DEFAULT_PORT;
  return {
    file: at,
    port, portPlace: typeof g.port === 'number' ? place('port') : undefined,
    bind: typeof g.bind === 'string' ? g.bind : 'loopback', bindPlace: place('bind'),
    customBindHost: typeof g.customBindHost === 'string' ? g.customBindHost : undefined,
    trustedProxies: Array.isArray(g.trustedProxies) ? g.trustedProxies.filter((x): x is string => typeof x === 'string') : undefined,
    trustedProxiesPlace: place('trustedProxies'),
  };
}
