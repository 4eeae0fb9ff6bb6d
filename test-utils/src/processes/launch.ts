import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { canConnect, DEFAULT_WAIT_MS, describeEndpoint, type Endpoint, waitFor } from './wait';

/**
 * How long a process group gets to exit after SIGTERM before SIGKILL: one value for every suite that
 * starts processes (a graceful php-fpm or Apache stop lets its requests finish first).
 */
export const STOP_GRACE_MS = 8_000;

export interface LaunchOptions {
  /** Used in errors. */
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout and stderr go (appended). */
  logFile: string;
}

export interface ReadyOptions extends LaunchOptions {
  /** Resolve only once this endpoint accepts connections. */
  readyWhen?: Endpoint;
  readyTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the main process exits. */
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  readonly exit: Exit | undefined;
  /** Signals the whole process group (the launcher and everything it spawned). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Signals the main process only. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after STOP_GRACE_MS, and whatever is left of the group goes too. Idempotent. */
  stop(): Promise<Exit>;
}

const running = new Set<LaunchedProcess>();

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function spawnDetached(options: LaunchOptions): ChildProcess {
  const log = openSync(options.logFile, 'a');
  try {
    return spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true, // its own process group, so stopping it stops every worker and child too
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
}

function track(child: ChildProcess, pid: number, options: LaunchOptions): LaunchedProcess {
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once('error', () => {
      exit ??= { code: null, signal: null };
      resolve(exit);
    });
  });
  let stopping: Promise<Exit> | undefined;
  const handle: LaunchedProcess = {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    get exit() {
      return exit;
    },
    signalGroup: (signal) => killGroup(pid, signal),
    signal: (signal) => {
      if (exit === undefined) child.kill(signal);
    },
    stop() {
      stopping ??= (async () => {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
        const result = await exited;
        clearTimeout(timer);
        // Workers that outlive their master (or a SIGTERM the master ignored) go too.
        if (groupAlive(pid)) {
          await waitFor(`${options.name}'s process group to exit`, () => !groupAlive(pid), {
            timeoutMs: STOP_GRACE_MS,
          }).catch(() => killGroup(pid, 'SIGKILL'));
        }
        running.delete(handle);
        return result;
      })();
      return stopping;
    },
  };
  running.add(handle);
  return handle;
}

/** Starts a command in its own process group with its output appended to logFile; returns at once. */
export function spawnGroup(options: LaunchOptions): LaunchedProcess {
  const child = spawnDetached(options);
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  return track(child, child.pid, options);
}

/** Like spawnGroup, and with `readyWhen` resolves once that endpoint accepts connections. */
export async function launch(options: ReadyOptions): Promise<LaunchedProcess> {
  const child = spawnDetached(options);
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start ${options.name} (${options.command}): ${error.message}`);
  }
  const launched = track(child, pid, options);
  const endpoint = options.readyWhen;
  if (!endpoint) return launched;
  try {
    await waitFor(
      `${options.name} to accept connections on ${describeEndpoint(endpoint)}`,
      () => canConnect(endpoint),
      {
        timeoutMs: options.readyTimeoutMs ?? DEFAULT_WAIT_MS,
        abortIf: () => {
          const exit = launched.exit;
          return exit
            ? `it exited (code ${exit.code}, signal ${exit.signal}); see ${options.logFile}`
            : undefined;
        },
      },
    );
  } catch (error) {
    await launched.stop();
    throw error;
  }
  return launched;
}

/** Stops every process group launched and not yet stopped; for afterEach/afterAll and signal handlers. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop()));
}
