import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CASES } from './cases';
import { availableColumns, type Column, type ColumnContext, writeCeilingFiles } from './columns';
import { checkAnswer, runWrk, wrkFailures } from './load';
import { nginxConfig, type Site } from './nginx';
import {
  cpuBusyMicros,
  cpuMicros,
  loadAverage,
  peakRssKiB,
  processTree,
  resetPeakRss,
  totalCpuMicros,
} from './proc';
import { repin, type Started, startPinned, stop, waitListening } from './processes';
import type { AnswerCheck, NginxBenchRun, TimedRun, Variant } from './results';
import type { Settings } from './settings';
import { machineInfo, preflight } from './system';

const FIRST_PORT = 18400;
/** GET /hello with nginx and the backend on one core is the second setting. */
const SHARED_CORE_CASE = 'hello';

interface Live {
  column: Column;
  port: number;
  started?: Started;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

function backendPids(live: Live): number[] | undefined {
  if (!live.started) return undefined;
  return live.column.pids ? live.column.pids(live.started) : [live.started.pid];
}

async function timedRun(
  live: Live,
  caseId: string,
  variant: Variant,
  round: number,
  seconds: number,
  settings: Settings,
  ctx: { runDir: string; wrkCpu: string; backendCpu: string; nginxWorker: () => number },
): Promise<TimedRun> {
  const benchCase = CASES.find((c) => c.id === caseId)!;
  const pids = backendPids(live);
  const worker = ctx.nginxWorker();
  if (pids) resetPeakRss(pids);
  const backendBefore = pids ? totalCpuMicros(pids) : undefined;
  const nginxBefore = cpuMicros(worker);
  const busyBefore = cpuBusyMicros().get(ctx.backendCpu) ?? 0;
  const wallBefore = performance.now();
  const wrk = await runWrk({
    cpu: ctx.wrkCpu,
    url: `http://127.0.0.1:${live.port}${benchCase.path}`,
    benchCase,
    seconds,
    connections: settings.connections,
    scriptDir: ctx.runDir,
  });
  // Re-read the tree: a php-fpm pool is the same processes, but a crashed backend must not count as free.
  const pidsAfter = backendPids(live);
  const backendCpuUs =
    pidsAfter && backendBefore !== undefined ? totalCpuMicros(pidsAfter) - backendBefore : undefined;
  const nginxCpuUs = cpuMicros(worker) - nginxBefore;
  // Whatever else ran on the backend's core (other processes on a shared machine) skews the numbers.
  const ours = (backendCpuUs ?? 0) + (variant === 'shared' ? nginxCpuUs : 0);
  const busyUs = (cpuBusyMicros().get(ctx.backendCpu) ?? 0) - busyBefore;
  const wallUs = (performance.now() - wallBefore) * 1000;
  const failures = wrkFailures(wrk);
  const requests = wrk.requests;
  const durationS = wrk.durationUs / 1e6;
  const run: TimedRun = {
    variant,
    caseId,
    column: live.column.id,
    round,
    ok: failures === 0 && requests > 0,
    requests,
    seconds: durationS,
    requestsPerSecond: requests / durationS,
    backendCpuUs,
    nginxCpuUs,
    backendUsPerRequest: backendCpuUs !== undefined && requests > 0 ? backendCpuUs / requests : undefined,
    nginxUsPerRequest: requests > 0 ? nginxCpuUs / requests : 0,
    backendPeakRssKiB: pidsAfter ? peakRssKiB(pidsAfter) : undefined,
    foreignCpuPercent: Math.min(100, Math.max(0, ((busyUs - ours) / wallUs) * 100)),
    wrk,
  };
  if (!run.ok) {
    run.failure =
      requests === 0
        ? 'no requests completed'
        : `${wrk.statusErrors} non-2xx, ${wrk.connectErrors} connect / ${wrk.readErrors} read / ${wrk.writeErrors} write errors, ${wrk.timeouts} timeouts`;
  }
  return run;
}

/**
 * The nginx-fronted benchmark: every backend behind one single-worker nginx, each case run in
 * interleaved rounds (A B C ... A B C ...), answers checked before anything is timed.
 */
export async function runNginxBench(settings: Settings, runDir: string): Promise<NginxBenchRun> {
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  const { nginx, cores } = preflight();
  const { columns: available, notes } = availableColumns();
  if (cores.note) notes.push(cores.note);
  const columns = available.filter((c) => !settings.columns || settings.columns.has(c.id));
  const cases = CASES.filter((c) => !settings.cases || settings.cases.has(c.id));
  const ctx: ColumnContext = { runDir, backendCpu: cores.backend };
  mkdirSync(join(runDir, 'www', 'static'), { recursive: true });
  for (const dir of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(runDir, 'nginx-tmp', dir), { recursive: true });
  }
  writeCeilingFiles(join(runDir, 'www'));

  const lives: Live[] = [];
  for (const [index, column] of columns.entries()) {
    const live: Live = { column, port: FIRST_PORT + index };
    if (column.start) {
      log(`starting ${column.id}`);
      live.started = await column.start(ctx);
    }
    lives.push(live);
  }

  const sites: Site[] = lives.map((l) => ({ name: l.column.id, port: l.port, front: l.column.front(ctx) }));
  const configPath = join(runDir, 'nginx.conf');
  writeFileSync(configPath, nginxConfig(runDir, sites, process.getuid?.() === 0));
  const nginxProc = startPinned('nginx', cores.front, [nginx, '-c', configPath, '-p', runDir], {
    logFile: join(runDir, 'nginx.log'),
  });
  for (const live of lives) await waitListening(nginxProc, { host: '127.0.0.1', port: live.port });
  const nginxWorker = () => processTree(nginxProc.pid).find((pid) => pid !== nginxProc.pid) ?? nginxProc.pid;

  try {
    const checks: AnswerCheck[] = [];
    for (const live of lives) {
      for (const c of cases) {
        const result = await checkAnswer(live.port, c);
        checks.push({ column: live.column.id, caseId: c.id, ...result });
        if (!result.ok) log(`answer check failed: ${live.column.id} ${c.id}: ${result.detail}`);
      }
    }
    const passed = (column: string, caseId: string) =>
      checks.some((c) => c.column === column && c.caseId === caseId && c.ok);

    const runs: TimedRun[] = [];
    const measure = async (variant: Variant, caseId: string, wrkCpu: string) => {
      const eligible = lives.filter((l) => passed(l.column.id, caseId));
      const runCtx = { runDir, wrkCpu, backendCpu: cores.backend, nginxWorker };
      for (const live of eligible) {
        await timedRun(live, caseId, variant, 0, settings.warmupSeconds, settings, runCtx);
      }
      for (let round = 1; round <= settings.rounds; round++) {
        for (const live of eligible) {
          const run = await timedRun(live, caseId, variant, round, settings.seconds, settings, runCtx);
          runs.push(run);
          log(
            `${variant} ${caseId} round ${round} ${live.column.id}: ${Math.round(run.requestsPerSecond)} req/s` +
              (run.backendUsPerRequest !== undefined
                ? `, ${run.backendUsPerRequest.toFixed(1)} µs/req`
                : '') +
              `, other load on core ${cores.backend}: ${run.foreignCpuPercent.toFixed(0)}%` +
              (run.ok ? '' : ` FAILED (${run.failure})`),
          );
          // Let TIME_WAIT sockets and nginx's idle keepalive settle between backends.
          await delay(200);
        }
      }
    };

    for (const c of cases) await measure('split', c.id, cores.front);
    if (cases.some((c) => c.id === SHARED_CORE_CASE) && cores.front !== cores.backend) {
      // nginx joins the backend's core; wrk keeps the other one to itself.
      for (const pid of processTree(nginxProc.pid)) await repin(pid, cores.backend);
      await measure('shared', SHARED_CORE_CASE, cores.front);
      for (const pid of processTree(nginxProc.pid)) await repin(pid, cores.front);
    }

    return {
      kind: 'nginx',
      startedAt,
      finishedAt: new Date().toISOString(),
      settings: {
        seconds: settings.seconds,
        rounds: settings.rounds,
        warmupSeconds: settings.warmupSeconds,
        connections: settings.connections,
        quick: settings.quick,
      },
      cores,
      machine: machineInfo(nginx),
      columns: lives.map((l) => ({ id: l.column.id, label: l.column.label })),
      notes,
      loadAverage: { before: loadBefore, after: loadAverage() },
      checks,
      runs,
    };
  } finally {
    await stop(nginxProc);
    for (const live of lives) if (live.started) await stop(live.started);
  }
}
