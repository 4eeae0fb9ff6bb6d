import { writeFileSync } from 'node:fs';
import {
  freePort,
  type LaunchedProcess,
  spawnGroup,
  stopAll,
  waitFor,
  waitForListening,
  waitForLogLine,
} from '@fcgi/test-utils/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from './helpers/fcgi';
import { httpGet, runConcurrently } from './helpers/http';
import { run, runOk } from './helpers/processes';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// lighttpd's "bin-path" makes lighttpd the process manager: it creates one unix socket per process
// ("socket" + "-0", "-1", ...), starts "max-procs" copies of the command with that socket as fd 0,
// and restarts them when they die.
const MAX_PROCS = 2;

describe('lighttpd "bin-path" spawns `fcgi serve` with the socket on fd 0', () => {
  let dir: RunDir;
  let lighttpd: LaunchedProcess;
  let base: string;

  beforeAll(async () => {
    dir = makeRunDir('lighttpd');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = `
server.modules = ("mod_fastcgi")
server.bind = "127.0.0.1"
server.port = ${port}
server.document-root = "${dir.path}"
server.errorlog = "${dir.file('lighttpd-error.log')}"
fastcgi.balance = "round-robin"
fastcgi.server = ("/" => ((
  "socket" => "${dir.file('app.sock')}",
  "bin-path" => "${serveCommand().join(' ')}",
  "max-procs" => ${MAX_PROCS},
  "bin-environment" => ("PM_LOG" => "${dir.file('requests.log')}"),
  "check-local" => "disable",
  "fix-root-scriptname" => "enable",
)))
`;
    writeFileSync(dir.file('lighttpd.conf'), config);
    lighttpd = spawnGroup({
      name: 'lighttpd',
      command: 'lighttpd',
      args: ['-D', '-f', dir.file('lighttpd.conf')],
      logFile: dir.file('lighttpd.log'),
    });
    await waitForListening({ port });
  });
  afterAll(async () => {
    await stopAll();
    dir?.remove();
  });

  it('serves requests through lighttpd from processes it started, each on its own fd 0 socket', async () => {
    const response = await httpGet(`${base}/launch`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      ppid: lighttpd.pid,
      stdinIsSocket: true,
      listenFds: null,
    });
  });

  it(`spreads requests over the ${MAX_PROCS} processes of "max-procs"`, async () => {
    const pids = await answeringPids(base, (seen) => seen.size === MAX_PROCS);
    expect(pids.size).toBe(MAX_PROCS);
  });

  it('replaces a process that was killed and keeps serving', async () => {
    const victim = JSON.parse((await httpGet(`${base}/launch`)).body).pid as number;
    process.kill(victim, 'SIGKILL');
    // lighttpd reaps the dead backend and starts another on the same socket.
    const replacement = await waitFor(
      'lighttpd to start a replacement process',
      async () => {
        const children = (await runOk('ps', ['-o', 'pid=', '--ppid', String(lighttpd.pid)]))
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
        return children.length === MAX_PROCS && !children.includes(victim) ? children : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const answered = await answeringPids(base, (pids) => replacement.every((pid) => pids.has(pid)));
    expect([...answered].sort()).toEqual([...replacement].sort());
  });

  // Last: it stops lighttpd. SIGINT is lighttpd's graceful shutdown: it waits for requests in flight,
  // then stops the processes it spawned.
  it('answers the in-flight request when lighttpd shuts down gracefully (SIGINT), then its processes are gone', async () => {
    const slow = httpGet(`${base}/slow?ms=2500`);
    const started = await waitForLogLine(dir.file('requests.log'), / \/slow\?/);
    const app = Number(started.split(' ')[1]);
    lighttpd.signal('SIGINT');

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.body).toBe(`slept 2500 in ${app}\n`);
    expect(await lighttpd.exited).toEqual({ code: 0, signal: null });
    await waitFor('the spawned processes to exit', async () => {
      const children = await run('pgrep', ['-g', String(lighttpd.pid)]);
      return children.stdout.trim() === '';
    });
  });
});

/** Sends concurrent batches until `done` holds for the set of pids that answered (all with 200). */
async function answeringPids(base: string, done: (pids: Set<number>) => boolean): Promise<Set<number>> {
  const pids = new Set<number>();
  await waitFor(
    'the expected processes to answer',
    async () => {
      const responses = await runConcurrently(8, 4, (i) => httpGet(`${base}/id?id=${i}&ms=20`));
      for (const response of responses) {
        expect(response.status).toBe(200);
        pids.add(JSON.parse(response.body).pid);
      }
      return done(pids);
    },
    { timeoutMs: 60_000 },
  );
  return pids;
}
