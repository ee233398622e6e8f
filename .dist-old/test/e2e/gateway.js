/**
 * The real OpenClaw gateway for the end-to-end tests: the pinned `openclaw` package on Node 24,
 * both from the cache folder that test/e2e/install-gateway.sh fills. Started with
 * `gateway --dev --allow-unconfigured --bind loopback` and a config of the test's own (its port,
 * its trustedProxies, its file log inside the test's folder); stopped by PID (its process group).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
export const GATEWAY_CACHE = process.env.CLAW_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'claw-trace-e2e');
/** Where the gateway and its Node are, or why they are not there. */
export function findGateway() {
    const modules = path.join(GATEWAY_CACHE, 'node_modules');
    const bin = path.join(modules, '.bin', 'openclaw');
    const nodePkg = existsSync(modules) ? readdirSync(modules).find((d) => /^node-(linux|darwin)-/.test(d)) : undefined;
    if (!existsSync(bin) || !nodePkg)
        return {
            missing: `the OpenClaw gateway is not installed in ${GATEWAY_CACHE} (run: bash test/e2e/install-gateway.sh)`,
        };
    return { bin, nodeBin: path.join(modules, nodePkg, 'bin') };
}
const get = (port, p) => new Promise((resolve) => {
    http
        .get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
    })
        .on('error', () => resolve(0))
        .on('timeout', function () {
        this.destroy();
    });
});
/**
 * Starts the real gateway in `dir` (its HOME) on `port`. `ready: false` returns as soon as the
 * process runs (the startup-race scenario); otherwise waits for /readyz (up to 60 s).
 */
export async function startGateway(o) {
    const found = findGateway();
    if ('missing' in found)
        throw new Error(found.missing);
    const home = path.join(o.dir, 'gateway-home');
    mkdirSync(path.join(home, '.openclaw'), { recursive: true });
    const log = path.join(o.dir, 'openclaw.log');
    writeFileSync(path.join(home, '.openclaw', 'openclaw.json'), JSON.stringify({
        gateway: {
            mode: 'local',
            bind: 'loopback',
            port: o.port,
            ...(o.trustedProxies ? { trustedProxies: o.trustedProxies } : {}),
        },
        logging: { file: log },
    }, null, 2));
    const proc = spawn(found.bin, ['gateway', '--dev', '--allow-unconfigured', '--bind', 'loopback', '--port', String(o.port)], {
        cwd: home,
        detached: true,
        stdio: 'ignore',
        env: {
            ...process.env,
            HOME: home,
            PATH: `${found.nodeBin}:${process.env.PATH ?? ''}`,
            XDG_CONFIG_HOME: path.join(home, '.config'),
            XDG_CACHE_HOME: path.join(home, '.cache'),
            NO_COLOR: '1',
        },
    });
    let exited = false;
    proc.on('exit', () => {
        exited = true;
    });
    const stop = async () => {
        if (exited || proc.pid === undefined)
            return;
        const gone = new Promise((r) => proc.once('exit', () => r()));
        try {
            process.kill(-proc.pid, 'SIGTERM');
        }
        catch {
            return;
        }
        const t = setTimeout(() => {
            try {
                process.kill(-proc.pid, 'SIGKILL');
            }
            catch {
                /* gone */
            }
        }, 10_000);
        await gone;
        clearTimeout(t);
        // Its helper processes share the group: make sure none outlives the test.
        try {
            process.kill(-proc.pid, 'SIGKILL');
        }
        catch {
            /* all gone */
        }
    };
    if (o.ready !== false) {
        const deadline = Date.now() + 60_000;
        while ((await get(o.port, '/readyz')) !== 200) {
            if (exited)
                throw new Error(`the gateway exited while starting (see ${log})`);
            if (Date.now() > deadline) {
                await stop();
                throw new Error(`the gateway was not ready within 60 s (see ${log})`);
            }
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    return { port: o.port, log, proc, stop };
}
//# sourceMappingURL=gateway.js.map