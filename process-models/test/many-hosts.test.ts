import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import {
  freePort,
  type LaunchedProcess,
  spawnGroup,
  stopAll,
  waitFor,
  waitForListening,
} from '@fcgi/test-utils/processes';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fcgiRequest, parseCliResponse } from './helpers/fcgi';
import { httpGet, runConcurrently } from './helpers/http';
import { appPath, cliPath, nodePath, scaleOutDir } from './helpers/paths';
import { run, runOk } from './helpers/processes';
import { renderTemplate, renderTo, unitValues } from './helpers/render';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// Two backend "hosts", each a network namespace joined to this one by a veth pair, each running the
// shipped fcgi-backend.service's command on its own address with FCGI_WEB_SERVER_ADDRS set to the
// web server's address on that link. The web server (nginx, then HAProxy, from the shipped
// scale-out configs) runs here and balances over both. Traffic never leaves these links and loopback.
const tag = `pm${process.pid % 100_000}`;
const BACKEND_PORT = 9000;
const hosts = [
  { name: `${tag}a`, subnet: '10.213.1' },
  { name: `${tag}b`, subnet: '10.213.2' },
].map((host) => ({
  ...host,
  namespace: host.name,
  outerIf: `${host.name}o`,
  innerIf: `${host.name}i`,
  webServerAddr: `${host.subnet}.1`,
  backendAddr: `${host.subnet}.2`,
}));

/** Network namespaces need root (CAP_SYS_ADMIN) and a kernel that allows them: find out once. */
function namespacesUnavailable(): string | undefined {
  const probe = `${tag}probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'ip netns add failed';
  }
}
const unavailable = namespacesUnavailable();

const REQUESTS = 600;
const CONCURRENCY = 20;
const STOP_AFTER = 200;

describe.skipIf(unavailable !== undefined)(
  `many hosts: two backend namespaces behind one web server${unavailable ? ` (skipped: cannot create network namespaces: ${unavailable})` : ''}`,
  () => {
    let dir: RunDir;
    let backends: LaunchedProcess[] = [];

    beforeAll(async () => {
      dir = makeRunDir('hosts');
      await removeNamespaces();
      for (const host of hosts) {
        await runOk('ip', ['netns', 'add', host.namespace]);
        await runOk('ip', ['link', 'add', host.outerIf, 'type', 'veth', 'peer', 'name', host.innerIf]);
        await runOk('ip', ['link', 'set', host.innerIf, 'netns', host.namespace]);
        await runOk('ip', ['addr', 'add', `${host.webServerAddr}/30`, 'dev', host.outerIf]);
        await runOk('ip', ['link', 'set', host.outerIf, 'up']);
        await runOk('ip', [
          '-n',
          host.namespace,
          'addr',
          'add',
          `${host.backendAddr}/30`,
          'dev',
          host.innerIf,
        ]);
        await runOk('ip', ['-n', host.namespace, 'link', 'set', host.innerIf, 'up']);
        await runOk('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
      }
    });
    afterAll(async () => {
      await stopAll();
      await removeNamespaces();
      dir?.remove();
    });

    beforeEach(async () => {
      backends = hosts.map((host, i) => startBackend(dir, host, i));
      for (const host of hosts) await waitForListening({ host: host.backendAddr, port: BACKEND_PORT });
    });
    afterEach(async () => {
      await stopAll();
    });

    it('each backend host answers the web server and refuses any other FastCGI peer', async () => {
      const host = hosts[0]!;
      const fromWebServer = parseCliResponse(
        await fcgiRequest(`${host.backendAddr}:${BACKEND_PORT}`, '/health'),
      );
      expect(fromWebServer).toEqual({ status: 200, body: 'ok\n' });
      // From inside the host itself the peer is the host's own address, not on FCGI_WEB_SERVER_ADDRS.
      const fromElsewhere = await run('ip', [
        'netns',
        'exec',
        host.namespace,
        nodePath,
        cliPath,
        'request',
        `${host.backendAddr}:${BACKEND_PORT}`,
        '/health',
        '--timeout',
        '10000',
      ]);
      expect(fromElsewhere.code).not.toBe(0);
      expect(fromElsewhere.stdout).not.toContain('ok');
    });

    it('nginx (scale-out/nginx.conf) spreads requests over both hosts and loses no GET when one stops mid-load', async () => {
      const port = await freePort();
      mkdirSync(dir.file('nginx'), { recursive: true });
      const conf = renderTo(`${scaleOutDir}nginx.conf`, dir.file('nginx/nginx.conf'), {
        listen_addr: `127.0.0.1:${port}`,
        backend_1: `${hosts[0]!.backendAddr}:${BACKEND_PORT}`,
        backend_2: `${hosts[1]!.backendAddr}:${BACKEND_PORT}`,
        run_dir: dir.file('nginx'),
      });
      expect(conf).toMatch(/keepalive \d+;/);
      spawnGroup({
        name: 'nginx',
        command: 'nginx',
        args: ['-c', dir.file('nginx/nginx.conf'), '-g', 'daemon off;'],
        logFile: dir.file('nginx/nginx.log'),
      });
      await waitForListening({ port });
      await expectNoFailedGets(dir, `http://127.0.0.1:${port}`, backends);
    });

    it('HAProxy (scale-out/haproxy.cfg) health-checks both hosts and loses no GET when one stops mid-load', async () => {
      const port = await freePort();
      renderTo(`${scaleOutDir}haproxy.cfg`, dir.file('haproxy.cfg'), {
        listen_addr: `127.0.0.1:${port}`,
        backend_1: `${hosts[0]!.backendAddr}:${BACKEND_PORT}`,
        backend_2: `${hosts[1]!.backendAddr}:${BACKEND_PORT}`,
        doc_root: dir.path,
      });
      const haproxy = spawnGroup({
        name: 'haproxy',
        command: 'haproxy',
        args: ['-db', '-f', dir.file('haproxy.cfg')],
        logFile: dir.file('haproxy.log'),
      });
      await waitForListening({ port });
      // Both servers pass their /health check (sent over FastCGI) before the load starts.
      await waitFor('both servers to be checked UP', () => {
        const checked = hosts.filter((_, i) => backendLog(dir, i).includes('/health'));
        return checked.length === hosts.length;
      });
      await expectNoFailedGets(dir, `http://127.0.0.1:${port}`, backends);
      await waitFor('HAProxy to mark the stopped host DOWN', () =>
        /Server app\/app1 is DOWN/.test(readLog(haproxy.logFile)),
      );
    });
  },
);

function startBackend(dir: RunDir, host: (typeof hosts)[number], index: number): LaunchedProcess {
  const unit = renderTemplate(`${scaleOutDir}fcgi-backend.service`, {
    fcgi_command: `${nodePath} ${cliPath}`,
    app_module: appPath,
    backend_addr: host.backendAddr,
    backend_port: BACKEND_PORT,
    workers: 1,
    web_server_addr: host.webServerAddr,
  });
  const [execStart] = unitValues(unit, 'ExecStart');
  const environment = Object.fromEntries(
    unitValues(unit, 'Environment').map((entry) => entry.split('=', 2) as [string, string]),
  );
  expect(environment.FCGI_WEB_SERVER_ADDRS).toBe(host.webServerAddr);
  return spawnGroup({
    name: `backend ${host.name}`,
    command: 'ip',
    args: ['netns', 'exec', host.namespace, ...execStart!.split(' ')],
    env: { ...process.env, ...environment, PM_LOG: dir.file(`requests-${index}.log`) },
    logFile: dir.file(`backend-${index}.log`),
  });
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function backendLog(dir: RunDir, index: number): string {
  return readLog(dir.file(`requests-${index}.log`));
}

/**
 * REQUESTS GETs at CONCURRENCY through the web server; the first backend host is stopped hard
 * (SIGKILL: a crashed host) after STOP_AFTER answers. Every GET must still get its own 200.
 */
async function expectNoFailedGets(dir: RunDir, base: string, backends: LaunchedProcess[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  const results = await runConcurrently(REQUESTS, CONCURRENCY, async (i) => {
    try {
      const response = await httpGet(`${base}/id?id=g${i}&ms=5`, { agent });
      return response.status === 200
        ? { ok: JSON.parse(response.body).id === `g${i}`, pid: JSON.parse(response.body).pid as number }
        : { ok: false, status: response.status };
    } catch (error) {
      return { ok: false, error: String(error) };
    } finally {
      if (++done === STOP_AFTER) backends[0]!.signalGroup('SIGKILL');
    }
  });
  agent.destroy();
  const failed = results.filter((result) => !result.ok);
  const pids = new Set(results.map((result) => result.pid).filter((pid) => pid !== undefined));
  console.info(
    `${base}: ${REQUESTS - failed.length} ok, ${failed.length} failed, answered by ${pids.size} processes`,
  );
  expect(failed).toEqual([]);
  // Both hosts took part before the stop; the last requests were all answered by the second host.
  expect(pids.size).toBe(2);
  const stoppedHostPids = new Set(
    [...backendLog(dir, 0).matchAll(/^start (\d+) /gm)].map((match) => Number(match[1])),
  );
  const late = results.slice(STOP_AFTER + 2 * CONCURRENCY);
  expect(late.filter((result) => stoppedHostPids.has(result.pid!))).toEqual([]);
}

async function removeNamespaces(): Promise<void> {
  for (const host of hosts) {
    // Deleting the namespace destroys the inner veth end, and with it the outer one.
    await run('ip', ['netns', 'del', host.namespace]);
    await run('ip', ['link', 'del', host.outerIf]);
  }
}
