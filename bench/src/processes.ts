import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  canConnect,
  DEFAULT_WAIT_MS,
  describeEndpoint,
  type Endpoint,
  type LaunchedProcess,
  spawnGroup,
  stopAll,
  waitFor,
} from '@fcgi/test-utils/processes';

export const execFileAsync = promisify(execFile);

/** A process the bench started: its own process group, output in its log file. */
export type Started = LaunchedProcess;

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
  const pinned = ['taskset', '-c', cpus, ...command];
  // Thousands of sockets need more than the usual 1024 descriptors: raise the soft limit to the hard one.
  const argv = options.raiseFileLimit ? ['sh', '-c', RAISE_FILE_LIMIT, 'sh', ...pinned] : pinned;
  return spawnGroup({
    name,
    command: argv[0]!,
    args: argv.slice(1),
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    logFile: options.logFile,
  });
}

/** Polls until the process accepts connections; fails fast, naming its log, when it exits instead. */
export async function waitListening(
  proc: Started,
  target: { path: string } | { port: number; host: string },
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const endpoint: Endpoint = 'path' in target ? { socketPath: target.path } : target;
  await waitFor(`${proc.name} to listen on ${describeEndpoint(endpoint)}`, () => canConnect(endpoint), {
    timeoutMs,
    abortIf: () => {
      const exit = proc.exit;
      return exit ? `it exited (${exit.code ?? exit.signal}); see ${proc.logFile}` : undefined;
    },
  });
}

/** SIGTERM to its process group, SIGKILL after the shared grace period. */
export async function stop(proc: Started): Promise<void> {
  await proc.stop();
}

export { stopAll };

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
