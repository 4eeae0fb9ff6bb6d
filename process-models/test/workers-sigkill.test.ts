import { lstatSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type FcgiClient } from '@fcgi/client';
import { type LaunchedProcess, readText, spawnGroup, stopAll, waitFor } from '@fcgi/test-utils/processes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveCommand } from './helpers/fcgi';
import { runOk } from './helpers/processes';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// The unix socket of `fcgi serve --workers N` must stay where the web server looks for it for as long
// as the pool runs, whatever happens to the workers: node:cluster closes its listening handle (and
// libuv unlinks the path it bound) when the last worker registered on it goes, e.g. when every worker
// that was listening dies while the others are still starting. Workers are SIGKILLed here (what the
// OOM killer does) while a client keeps the pool busy, and the path is watched the whole time.
const WORKERS = 3;
const CONCURRENCY = 8;
/** How often the watcher looks at the socket path: well under a worker's start-up time. */
const WATCH_INTERVAL_MS = 2;
/** How long a killed pool gets to answer again (a loaded 2-core machine starts node slowly). */
const RECOVERY_MS = 30_000;

/** Ways to kill workers, each run a few times in turn. */
const KILLS = {
  /** One serving worker: the others keep the listener. */
  one: async (pool: LaunchedProcess) => {
    const [victim] = await workerPids(pool);
    kill(victim!);
  },
  /** One worker, then its replacement the moment it appears, before it could listen. */
  replacementAtStart: async (pool: LaunchedProcess) => {
    const before = await workerPids(pool);
    kill(before[0]!);
    const replacement = await waitFor('the replacement worker', async () =>
      (await workerPids(pool)).find((pid) => !before.includes(pid)),
    );
    kill(replacement);
  },
  /** Every worker at once: for a while nobody listens, yet the path must stay. */
  all: async (pool: LaunchedProcess) => {
    for (const pid of await workerPids(pool)) kill(pid);
  },
};

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone (a replacement that failed on its own): nothing to kill.
  }
}

async function workerPids(pool: LaunchedProcess): Promise<number[]> {
  const output = await runOk('ps', ['-o', 'pid=', '--ppid', String(pool.pid)]).catch(() => '');
  return output.split(/\s+/).filter(Boolean).map(Number);
}

function pathIsSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Samples the socket path until stopped; counts the samples in which it was missing or not a socket. */
function watchPath(path: string) {
  let missing = 0;
  let samples = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      samples++;
      if (!pathIsSocket(path)) missing++;
      await sleep(WATCH_INTERVAL_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { missing, samples };
    },
  };
}

/** The system error under the client's (CONNECT_FAILED wraps ECONNREFUSED or ENOENT). */
function innermostCode(error: unknown): string {
  let code = 'unknown';
  for (let current = error; current instanceof Error; current = current.cause) {
    const own = (current as { code?: unknown }).code;
    if (typeof own === 'string') code = own;
  }
  return code;
}

/** Keeps CONCURRENCY requests in flight until stopped; counts answers and failures by kind. */
function keepBusy(client: FcgiClient) {
  let running = true;
  const answered: number[] = [];
  const failures = new Map<string, number>();
  const loop = async () => {
    while (running) {
      try {
        const response = await client.fetch('/id?id=load&ms=2');
        await response.text();
        answered.push(response.status);
      } catch (error) {
        const code = innermostCode(error);
        failures.set(code, (failures.get(code) ?? 0) + 1);
        await sleep(10);
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { answered: answered.length, failures: Object.fromEntries(failures) };
    },
  };
}

describe(`fcgi serve --workers ${WORKERS} on a unix socket, workers SIGKILLed under load`, () => {
  let dir: RunDir;

  beforeEach(() => {
    dir = makeRunDir('sigkill');
  });
  afterEach(async () => {
    await stopAll();
    dir.remove();
  });

  const startPool = (socket: string) => {
    const [command, ...args] = serveCommand('--socket', socket, '--workers', String(WORKERS));
    return spawnGroup({
      name: 'fcgi serve --workers',
      command: command!,
      args,
      logFile: dir.file('pool.log'),
    });
  };
  const whileRunning = (pool: LaunchedProcess) => ({
    timeoutMs: RECOVERY_MS,
    abortIf: () => (pool.exit ? `the pool exited: ${readText(pool.logFile)}` : undefined),
  });

  it('keeps the path when the first worker dies while the others are still starting', async () => {
    const socket = dir.file('app.sock');
    const pool = startPool(socket);
    // The path appears once the first worker listens; the primary forks the others right then.
    await waitFor('the socket path', () => pathIsSocket(socket), { ...whileRunning(pool), intervalMs: 1 });
    for (const pid of await workerPids(pool)) kill(pid);
    const watcher = watchPath(socket);

    await waitFor('all workers to listen', () => readText(pool.logFile).includes(`with ${WORKERS} workers`), {
      ...whileRunning(pool),
    });
    const client = createClient(`unix:${socket}`);
    const response = await client.fetch('/health');
    await client.close();

    const path = await watcher.stop();
    expect(response.status).toBe(200);
    expect(path.missing, `the socket path was missing in ${path.missing} of ${path.samples} samples`).toBe(0);
    expect(readText(pool.logFile)).toMatch(/killed \(SIGKILL\) while starting|exited \(SIGKILL\)/);
  });

  it('keeps the socket path in place and answering after every kill', async () => {
    const socket = dir.file('app.sock');
    const pool = startPool(socket);
    await waitFor('all workers to listen', () => readText(pool.logFile).includes(`with ${WORKERS} workers`), {
      ...whileRunning(pool),
    });

    const watcher = watchPath(socket);
    const client = createClient(`unix:${socket}`);
    const load = keepBusy(client);
    const probe = createClient(`unix:${socket}`);
    const rounds: string[] = [];
    let path = { missing: 0, samples: 0 };
    let failures: Record<string, number> = {};
    try {
      for (let round = 0; round < 3; round++) {
        for (const [name, killWorkers] of Object.entries(KILLS)) {
          await killWorkers(pool);
          rounds.push(name);
          // The path is there at once, and the pool answers on it again once a worker listens.
          expect(pathIsSocket(socket), `after kill "${name}"`).toBe(true);
          const recovery = whileRunning(pool);
          await waitFor(
            `the pool to answer after kill "${name}"`,
            async () => (await probe.fetch('/health').catch(() => undefined))?.status === 200,
            recovery,
          );
          await waitFor(
            `${WORKERS} workers again after kill "${name}"`,
            async () => (await workerPids(pool)).length === WORKERS,
            recovery,
          );
        }
      }
    } finally {
      const traffic = await load.stop();
      failures = traffic.failures;
      path = await watcher.stop();
      await client.close();
      await probe.close();
      console.info(`workers SIGKILLed under load: ${JSON.stringify({ rounds, traffic, path })}`);
    }
    expect(path.missing, `the socket path was missing in ${path.missing} of ${path.samples} samples`).toBe(0);
    // While no worker listens, connecting is refused; the web server never finds the path missing.
    expect(failures.ENOENT).toBeUndefined();
    expect(pool.exit, readText(pool.logFile)).toBeUndefined();
  });
});
