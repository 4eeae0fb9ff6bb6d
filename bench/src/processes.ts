import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
}

const started = new Set<Started>();

const RAISE_FILE_LIMIT = 'h=$(ulimit -Hn); [ "$h" = unlimited ] && h=1048576; ulimit -n "$h"; exec "$@"';

/**
 * Starts `command` pinned to `cpus` (taskset) in its own process group, output to `logFile`. Every
 * process started here is stopped by stopAll(), which the harness runs on exit and on signals.
 */
export function startPinned(
  name: string,
  cpus: string,
  command: string[],
  options: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string; raiseFileLimit?: boolean },
): Started {
  const log = openSync(options.logFile, 'a');
  const pinned = ['taskset', '-c', cpus, ...command];
  // Thousands of sockets need more than the usual 1024 descriptors: raise the soft limit to the hard one.
  const argv = options.raiseFileLimit ? ['sh', '-c', RAISE_FILE_LIMIT, 'sh', ...pinned] : pinned;
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', log, log],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${command.join(' ')}`);
  const entry = { name, child, pid: child.pid };
  started.add(entry);
  child.once('exit', () => started.delete(entry));
  return entry;
}

function canConnect(target: { path: string } | { port: number; host: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(target);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls until the process accepts connections; fails fast with its log when it exits instead. */
export async function waitListening(
  proc: Started,
  target: { path: string } | { port: number; host: string },
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(
        `${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before listening`,
      );
    }
    if (await canConnect(target)) return;
    await delay(50);
  }
  throw new Error(`${proc.name} did not listen within ${timeoutMs} ms`);
}

export async function stop(proc: Started): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...started].map(stop));
}

/** Stops every started process on Ctrl-C or SIGTERM, so no backend outlives the harness. */
export function stopAllOnSignal(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** Re-pins a running process and all its threads. */
export async function repin(pid: number, cpus: string): Promise<void> {
  await execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
}
