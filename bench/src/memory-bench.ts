import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { peakRssKiB, rssKiB } from './proc';
import { type Started, startPinned, stop, waitListening } from './processes';
import type { MemoryBenchRun } from './results';

const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 10_000;

/**
 * RSS of a fresh responder holding 10,000 idle keep-alive FastCGI connections. Both processes run
 * with the file-descriptor limit raised to the hard limit; the holder is a separate process so the
 * responder's RSS is only its own.
 */
export async function runMemoryBench(
  runDir: string,
  cores: { front: string; backend: string },
): Promise<MemoryBenchRun> {
  const connections = Number(process.env.BENCH_IDLE_CONNECTIONS ?? CONNECTIONS);
  const socket = join(runDir, 'memory.sock');
  // A fresh process: a runtime keeps freed heap resident, so earlier load would hide the growth.
  const responder = startPinned(
    'memory-responder',
    cores.backend,
    [process.execPath, join(here, 'backends', 'ours.js')],
    {
      env: { BENCH_SOCKET: socket },
      logFile: join(runDir, 'memory-responder.log'),
      raiseFileLimit: true,
    },
  );
  let holder: ReturnType<typeof startPinned> | undefined;
  try {
    await waitListening(responder, { path: socket });
    await delay(500);
    const rssBeforeKiB = rssKiB([responder.pid]);
    holder = startPinned('idle-holder', cores.front, [process.execPath, join(here, 'idle-client.js')], {
      env: { BENCH_SOCKET: socket, BENCH_CONNECTIONS: String(connections) },
      logFile: join(runDir, 'idle-holder.log'),
      raiseFileLimit: true,
    });
    const report = await readFirstLine(join(runDir, 'idle-holder.log'), holder);
    const held = JSON.parse(report) as { open: number; failed: number; firstError?: string };
    if (held.failed > 0)
      process.stderr.write(`idle connections: ${held.failed} failed (${held.firstError})\n`);
    // Let the responder settle (idle timers armed, no request in flight) before reading its RSS.
    await delay(2000);
    const rssAfterKiB = rssKiB([responder.pid]);
    const run: MemoryBenchRun = {
      kind: 'memory',
      startedAt: new Date().toISOString(),
      connections,
      rssBeforeKiB,
      rssAfterKiB,
      peakRssKiB: peakRssKiB([responder.pid]),
      perConnectionBytes: held.open > 0 ? ((rssAfterKiB - rssBeforeKiB) * 1024) / held.open : 0,
      openConnections: held.open,
    };
    process.stderr.write(
      `memory: ${held.open} idle connections, RSS ${(rssBeforeKiB / 1024).toFixed(0)} → ${(rssAfterKiB / 1024).toFixed(0)} MiB\n`,
    );
    return run;
  } finally {
    if (holder) await stop(holder);
    await stop(responder);
  }
}

/** Waits for the holder's JSON line in its log file (its stdout), failing if it exits first. */
async function readFirstLine(logFile: string, holder: Started): Promise<string> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('{'));
    if (line) return line;
    if (holder.exit) throw new Error(`idle-connection holder exited ${holder.exit.code}: ${text}`);
    await delay(200);
  }
  throw new Error('idle-connection holder did not report within 180 s');
}
