/** `claw-trace agent` as a child process for the tests, and a plain HTTP GET against it (127.0.0.1 only). */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { waitForPort } from '../../fixtures/lab/lab.js';
import { freePorts } from '../../fixtures/lab/upstreams.js';
import { REPO } from '../helpers.js';

export const CLI = path.join(REPO, 'dist/src/cli/main.js');

export interface AgentProcess {
  p: ChildProcess;
  port: number;
  stderr: () => string;
  /** What it wrote on stdout (the agent logs on stderr: V8's traces, say). */
  stdout: () => string;
}

/** Writes `yaml` to `<dir>/<name>.yaml` and starts an agent with it on a free port; resolves once the API listens. */
export async function startAgentProcess(
  dir: string,
  name: string,
  yaml: string,
  env: NodeJS.ProcessEnv = {},
  listenMs = 10_000,
  nodeArgs: string[] = [],
): Promise<AgentProcess> {
  const cfg = path.join(dir, `${name}.yaml`);
  writeFileSync(cfg, yaml);
  const [port] = (await freePorts(1)) as [number];
  let err = '';
  const p = spawn(process.execPath, [...nodeArgs, CLI, 'agent', '-c', cfg, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  p.stderr!.on('data', (d: Buffer) => {
    err += d;
  });
  p.stdout!.on('data', (d: Buffer) => {
    out += d;
  });
  try {
    await waitForPort(port, p, `agent ${name}`, listenMs);
  } catch (e) {
    p.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${err.slice(-2000)}`);
  }
  return { p, port, stderr: () => err, stdout: () => out };
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}
/** GET http://127.0.0.1:<port><path>; status 0 when the connection failed. */
export function httpGet(port: number, p: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', () => resolve({ status: 0, body: '', headers: {} }));
  });
}
