/**
 * Starting the web servers and the app as child processes the suite fully controls: each in its own
 * process group (so workers and children are stopped with it), output to a log file in the run dir,
 * stopped with SIGTERM and, after STOP_GRACE_MS, SIGKILL.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { canConnect, describeEndpoint, type Endpoint, waitUntil } from './wait';

export const STOP_GRACE_MS = 5_000;

export interface LaunchOptions {
  /** Used in errors and as the log file's name. */
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout and stderr go. */
  logFile: string;
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
  readonly exit: Exit | undefined;
  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; also kills what is left of the group. Idempotent. */
  stop(): Promise<Exit>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export async function launch(options: LaunchOptions): Promise<LaunchedProcess> {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true, // its own process group
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start ${options.name} (${options.command}): ${error.message}`);
  }

  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  let stopping: Promise<Exit> | undefined;
  const launched: LaunchedProcess = {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    get exit() {
      return exit;
    },
    signal: (signal) => signalGroup(pid, signal),
    stop() {
      stopping ??= (async () => {
        signalGroup(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            signalGroup(pid, 'SIGKILL');
            resolve();
          }, STOP_GRACE_MS);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        const result = await exited;
        // Workers that outlive their master (or a SIGTERM the master ignored) go too.
        if (groupAlive(pid)) {
          await waitUntil(() => !groupAlive(pid), {
            what: `${options.name}'s process group to exit`,
            timeoutMs: STOP_GRACE_MS,
          }).catch(() => signalGroup(pid, 'SIGKILL'));
        }
        return result;
      })();
      return stopping;
    },
  };

  if (options.readyWhen) {
    const endpoint = options.readyWhen;
    try {
      await waitUntil(() => canConnect(endpoint), {
        what: `${options.name} to accept connections on ${describeEndpoint(endpoint)}`,
        timeoutMs: options.readyTimeoutMs ?? 30_000,
        abortIf: () =>
          exit ? `it exited (code ${exit.code}, signal ${exit.signal}); see ${options.logFile}` : undefined,
      });
    } catch (error) {
      await launched.stop();
      throw error;
    }
  }
  return launched;
}
