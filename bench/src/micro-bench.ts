import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases';
import { cpuMicros } from './proc';
import { startPinned, stop, waitListening } from './processes';
import type { MicroBenchRun } from './results';
import type { Settings } from './settings';

const here = dirname(fileURLToPath(import.meta.url));

interface ClientOutput {
  requests: number;
  seconds: number;
  errors: number;
  firstError?: string;
  clientCpuUs: number;
}

function runClient(env: Record<string, string>, cpu: string): Promise<ClientOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', cpu, process.execPath, join(here, 'micro-client.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ClientOutput);
      } catch {
        reject(new Error(`micro client exited ${code}: ${out}`));
      }
    });
  });
}

/**
 * Our responder with no nginx in front: a pinned client process drives it over a unix socket with
 * many keep-alive connections, and the responder's CPU time per request is its own cost.
 */
export async function runMicroBench(
  settings: Settings,
  runDir: string,
  cores: { front: string; backend: string },
): Promise<MicroBenchRun> {
  const client = process.env.BENCH_MICRO_CLIENT === 'fcgi-client' ? 'fcgi-client' : 'raw';
  const socket = join(runDir, 'micro.sock');
  const responder = startPinned(
    'micro-responder',
    cores.backend,
    [process.execPath, join(here, 'backends', 'ours.js')],
    {
      env: { BENCH_SOCKET: socket },
      logFile: join(runDir, 'micro-responder.log'),
    },
  );
  const rounds: MicroBenchRun['rounds'] = [];
  try {
    await waitListening(responder, { path: socket });
    const cases = CASES.filter((c) => !settings.cases || settings.cases.has(c.id));
    for (const c of cases) {
      const env = {
        BENCH_SOCKET: socket,
        BENCH_CASE: c.id,
        BENCH_CLIENT: client,
        BENCH_CONNECTIONS: String(settings.connections),
      };
      await runClient({ ...env, BENCH_SECONDS: String(settings.warmupSeconds) }, cores.front);
      const before = cpuMicros(responder.pid);
      const out = await runClient({ ...env, BENCH_SECONDS: String(settings.seconds) }, cores.front);
      const responderCpuUs = cpuMicros(responder.pid) - before;
      rounds.push({
        caseId: c.id,
        requests: out.requests,
        seconds: out.seconds,
        requestsPerSecond: out.requests / out.seconds,
        responderCpuUs,
        responderUsPerRequest: responderCpuUs / Math.max(out.requests, 1),
        clientUsPerRequest: out.clientCpuUs / Math.max(out.requests, 1),
        errors: out.errors,
      });
      process.stderr.write(
        `micro ${c.id}: ${Math.round(out.requests / out.seconds)} req/s, responder ${(responderCpuUs / Math.max(out.requests, 1)).toFixed(1)} µs/req` +
          (out.errors ? `, ${out.errors} errors (${out.firstError})` : '') +
          '\n',
      );
    }
  } finally {
    await stop(responder);
  }
  return {
    kind: 'micro',
    startedAt: new Date().toISOString(),
    client: client === 'raw' ? 'raw record client (bench/src/raw-client.ts)' : '@fcgi/client',
    connections: settings.connections,
    seconds: settings.seconds,
    rounds,
  };
}
