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
/** The gateway's own default port (docs/gateway/config-gateway.md: `--port` > env > `gateway.port` > 18789). */
export const GATEWAY_DEFAULT_PORT = 18789;
export function defaultGatewayConfigPath(env = process.env) {
    return (env.OPENCLAW_CONFIG_PATH ??
        path.join(env.OPENCLAW_STATE_DIR ?? path.join(os.homedir(), '.openclaw'), 'openclaw.json'));
}
/**
 * The line of each key of the `gateway` object (`gateway.port` -> line). Keys are found by walking
 * the JSON5 text itself, past comments and strings, so a comment that says `port: 18789` or a
 * `port` of another section is not taken for the gateway's.
 */
export function gatewayKeyLines(text) {
    const out = new Map();
    const path = []; // the key of each open object/array
    let line = 1;
    let pendingKey; // the last key read at this depth, before its value
    let last; // the last string or identifier
    let i = 0;
    const n = text.length;
    while (i < n) {
        const c = text[i];
        if (c === '\n') {
            line++;
            i++;
            continue;
        }
        if (c === '/' && text[i + 1] === '/') {
            while (i < n && text[i] !== '\n')
                i++;
            continue;
        }
        if (c === '/' && text[i + 1] === '*') {
            const end = text.indexOf('*/', i + 2);
            const stop = end < 0 ? n : end + 2;
            for (let j = i; j < stop; j++)
                if (text[j] === '\n')
                    line++;
            i = stop;
            continue;
        }
        if (c === '"' || c === "'") {
            const start = line;
            let s = '';
            i++;
            while (i < n && text[i] !== c) {
                if (text[i] === '\\') {
                    s += text[i + 1] ?? '';
                    i += 2;
                    continue;
                }
                if (text[i] === '\n')
                    line++;
                s += text[i++];
            }
            i++;
            last = { text: s, line: start };
            continue;
        }
        if (/[A-Za-z_$]/.test(c)) {
            let s = '';
            while (i < n && /[\w$]/.test(text[i]))
                s += text[i++];
            last = { text: s, line };
            continue;
        }
        if (c === ':' && last) {
            pendingKey = last.text;
            if (path.length === 2 && path[1] === 'gateway' && !out.has(last.text))
                out.set(last.text, last.line);
        }
        else if (c === '{' || c === '[') {
            path.push(pendingKey);
            pendingKey = undefined;
        }
        else if (c === '}' || c === ']') {
            path.pop();
        }
        else if (c === ',') {
            pendingKey = undefined;
        }
        last = undefined;
        i++;
    }
    return out;
}
export function readGatewayConfig(file, required) {
    const at = file ?? defaultGatewayConfigPath();
    if (!existsSync(at)) {
        if (required)
            throw new ConfigReadError(`${at}: no such file`);
        return { port: GATEWAY_DEFAULT_PORT, bind: 'loopback' };
    }
    let text;
    try {
        text = readFileSync(at, 'utf8');
    }
    catch (e) {
        throw new ConfigReadError(`${at}: ${e.message}`);
    }
    let json;
    try {
        json = JSON5.parse(text);
    }
    catch (e) {
        const err = e;
        throw new ConfigReadError(`${at}:${err.lineNumber ?? 1}: not JSON5: ${err.message.replace(/^JSON5: /, '')}`);
    }
    const g = json?.gateway ?? {};
    const lines = gatewayKeyLines(text);
    const place = (key) => {
        const line = lines.get(key);
        return line ? { file: at, line } : undefined;
    };
    const port = typeof g.port === 'number' && Number.isInteger(g.port) ? g.port : GATEWAY_DEFAULT_PORT;
    return {
        file: at,
        port,
        portPlace: typeof g.port === 'number' ? place('port') : undefined,
        bind: typeof g.bind === 'string' ? g.bind : 'loopback',
        bindPlace: place('bind'),
        customBindHost: typeof g.customBindHost === 'string' ? g.customBindHost : undefined,
        trustedProxies: Array.isArray(g.trustedProxies)
            ? g.trustedProxies.filter((x) => typeof x === 'string')
            : undefined,
        trustedProxiesPlace: place('trustedProxies'),
    };
}
//# sourceMappingURL=gatewayConfig.js.map