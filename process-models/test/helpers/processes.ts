import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** How long a process group gets to exit after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 8_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launched {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  readonly exit: Exit | undefined;
  /** Signals the whole process group (the launcher and everything it spawned). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Signals the main process only. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after STOP_GRACE_MS, then SIGKILL for whatever is left. Idempotent. */
  stop(): Promise<Exit>;
}

export interface LaunchOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const launched = new Set<Launched>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a command in its own process group (detached) with stdout and stderr appended to logFile,
 * so that stopping it also stops every worker or child it spawned.
 */
export function launch(options: LaunchOptions): Launched {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  const pid = child.pid;
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
  const handle: Launched = {
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
    stop: () => {
      stopping ??= (async () => {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
        const result = await exited;
        clearTimeout(timer);
        // Children that outlived the main process (a daemonized spawner, a cluster worker).
        if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
        launched.delete(handle);
        return result;
      })();
      return stopping;
    },
  };
  launched.add(handle);
  return handle;
}

/** Stops every process group launched and not yet stopped; for afterEach/afterAll. */
export async function stopAll(): Promise<void> {
  await Promise.all([...launched].map((handle) => handle.stop()));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion and returns its output; never throws on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 30_000, env: options.env ?? process.env, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like run(), but throws with the command's stderr when it fails. */
export async function runOk(
  command: string,
  args: string[],
  options?: { timeoutMs?: number },
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}
