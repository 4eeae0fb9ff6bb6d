import { Agent } from 'node:http';
import {
  freePort,
  type LaunchedProcess,
  readText,
  spawnGroup,
  stopAll,
  waitFor,
  waitForListening,
} from '@fcgi/test-utils/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcgiValues, serveCommand } from './helpers/fcgi';
import { httpGet, runConcurrently } from './helpers/http';
import { FASTCGI_PARAMS, nginxConf, startNginx } from './helpers/nginx';
import { runOk } from './helpers/processes';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// `fcgi serve --workers 4`: node:cluster, four processes behind one unix socket, a dead worker
// replaced by the primary. nginx in front with upstream keepalive, as in production.
const WORKERS = 4;
const REQUESTS = 2_000;
const CONCURRENCY = 50;
const KILL_AFTER = 1_000;

type Outcome =
  | { kind: 'ok'; id: string; pid: number }
  | { kind: 'http-error'; id: string; status: number }
  | { kind: 'no-response'; id: string; error: string };

describe(`fcgi serve --workers ${WORKERS} behind nginx`, () => {
  let dir: RunDir;
  let pool: LaunchedProcess;
  let socket: string;
  let requestLog: string;
  let base: string;

  beforeAll(async () => {
    dir = makeRunDir('workers');
    socket = dir.file('app.sock');
    requestLog = dir.file('requests.log');
    const [command, ...args] = serveCommand('--socket', socket, '--workers', String(WORKERS));
    pool = spawnGroup({
      name: 'fcgi serve --workers',
      command: command!,
      args,
      logFile: dir.file('pool.log'),
      env: { ...process.env, PM_LOG: requestLog },
    });
    await waitFor('all workers to listen', () => readText(pool.logFile).includes(`with ${WORKERS} workers`));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    startNginx(
      dir,
      nginxConf(
        dir,
        `  upstream pool {
    server unix:${socket};
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
${FASTCGI_PARAMS}
    location / {
      fastcgi_pass pool;
      fastcgi_keep_conn on;
      fastcgi_next_upstream error timeout;
      # A request lost inside the pool comes back as a 504 after this, instead of hanging the test.
      fastcgi_read_timeout 15s;
    }
  }`,
      ),
    );
    await waitForListening({ port });
  });
  afterAll(async () => {
    await stopAll();
    dir?.remove();
  });

  it(`accounts for all ${REQUESTS} requests at ${CONCURRENCY} concurrent when a worker is SIGKILLed midway`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let done = 0;
    let victim: number | undefined;
    const outcomes = await runConcurrently(REQUESTS, CONCURRENCY, async (i): Promise<Outcome> => {
      const id = `q${i}`;
      try {
        // A few ms in the handler keeps requests in flight in every worker when the kill lands.
        const response = await httpGet(`${base}/id?id=${id}&ms=3`, { agent });
        if (response.status !== 200) return { kind: 'http-error', id, status: response.status };
        const body = JSON.parse(response.body) as { id: string; pid: number };
        expect(body.id).toBe(id);
        return { kind: 'ok', id, pid: body.pid };
      } catch (error) {
        return { kind: 'no-response', id, error: String(error) };
      } finally {
        if (++done === KILL_AFTER) {
          victim = Number(/^start (\d+) /m.exec(readText(requestLog))?.[1]);
          process.kill(victim, 'SIGKILL');
        }
      }
    });
    agent.destroy();
    expect(victim).toBeGreaterThan(0);

    // Where each request started in the app (a request the kill interrupted may start again elsewhere).
    const startsById = new Map<string, number[]>();
    for (const match of readText(requestLog).matchAll(/^start (\d+) \/id\?id=(q\d+)&/gm)) {
      const list = startsById.get(match[2]!) ?? [];
      list.push(Number(match[1]));
      startsById.set(match[2]!, list);
    }
    const ok = outcomes.filter((outcome) => outcome.kind === 'ok');
    const failed = outcomes.filter((outcome) => outcome.kind !== 'ok');
    const summary = {
      ok: ok.length,
      failed: failed.map((outcome) => ({ ...outcome, starts: startsById.get(outcome.id) })),
    };
    console.info(`workers behind nginx, one SIGKILL: ${JSON.stringify(summary)}`);

    // Every request has exactly one outcome, and nothing ever got no HTTP answer at all.
    expect(ok.length + failed.length).toBe(REQUESTS);
    expect(outcomes.filter((outcome) => outcome.kind === 'no-response')).toEqual([]);
    for (const outcome of failed) {
      // A failure is only allowed for a request the killed worker had taken: its handler started it,
      // or its connection was accepted by that worker and died unread (nginx: 502 at once). Never a
      // request a live worker ran, and never one left hanging until nginx's read timeout (504).
      const starts = startsById.get(outcome.id) ?? [];
      expect(outcome, `${outcome.id} failed; started in: ${starts}`).toMatchObject({
        kind: 'http-error',
        status: 502,
      });
      expect(
        starts.filter((pid) => pid !== victim),
        `${outcome.id} failed; started in: ${starts}`,
      ).toEqual([]);
    }
    // At most the requests in flight when the kill landed.
    expect(failed.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const [id, starts] of startsById) {
      // Run at most once by a live worker: nginx retried only what the killed worker never answered.
      expect(starts.filter((pid) => pid !== victim).length, `${id} started in ${starts}`).toBeLessThanOrEqual(
        1,
      );
    }
    // The primary replaced the killed worker: four live workers again, and the pool still answers.
    await waitFor('the replacement worker', () =>
      readText(pool.logFile).includes(`replaced worker ${victim}`),
    );
    const workers = (await runOk('ps', ['-o', 'pid=', '--ppid', String(pool.pid)]))
      .split(/\s+/)
      .filter(Boolean);
    expect(workers).toHaveLength(WORKERS);
    expect(workers).not.toContain(String(victim));
    expect((await httpGet(`${base}/id?id=after`)).status).toBe(200);
  });

  it('answers FCGI_GET_VALUES through the pool without promising what it does not do', async () => {
    const values = await fcgiValues(socket);
    console.info(`fcgi values on the pool: ${JSON.stringify(values)}`);
    // Every worker multiplexes, up to the responder's per-connection cap (maxConcurrentRequests,
    // 100 by default: FCGI_MAX_REQS as HAProxy reads it); no connection limit is configured for
    // `fcgi serve`, so none may be announced.
    expect(values.FCGI_MPXS_CONNS).toBe('1');
    expect(values.FCGI_MAX_REQS).toBe('100');
    expect(values.FCGI_MAX_CONNS).toBeUndefined();
  });

  it('drains every worker and exits 0 on SIGTERM', async () => {
    const inFlight = runConcurrently(WORKERS, WORKERS, (i) => httpGet(`${base}/slow?ms=2000&n=${i}`));
    await waitFor(
      `${WORKERS} /slow requests in the handlers`,
      () => readText(requestLog).match(/ \/slow\?/g)?.length === WORKERS,
    );
    pool.signal('SIGTERM');
    for (const response of await inFlight)
      expect(response, readText(pool.logFile)).toMatchObject({ status: 200 });
    expect(await pool.exited, readText(pool.logFile)).toEqual({ code: 0, signal: null });
  });
});
