import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../src/io';
import { runCli } from '../src/run-cli';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
/** For tests that start node processes: generous, for a loaded 2-core machine. */
export const PROCESS_TEST_TIMEOUT_MS = 60_000;

export const cliEntry = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs `fcgi` in-process with captured output. */
export async function cli(argv: string[], io: Partial<CliIO> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runCli(argv, { stdout, stderr, ...io });
  return {
    code,
    stdout: Buffer.concat(out).toString('utf8'),
    stdoutBytes: Buffer.concat(out),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/** A temp dir removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'fcgi-cli-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A spawned built CLI whose output is collected; `waitForOutput` resolves once a pattern has appeared
 * on stdout or stderr. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

export function spawnCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    stdio?: import('node:child_process').StdioOptions;
    /** A command that starts the CLI, e.g. ['systemd-socket-activate', '-l', path]. */
    via?: string[];
    /** Lead a new process group, to signal it and its workers together. */
    detached?: boolean;
  } = {},
): CliProcess {
  const command = [...(options.via ?? []), process.execPath, cliEntry, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, FCGI_SOCKET: '', FCGI_PORT: '', ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    notify();
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    notify();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern) ?? err.match(pattern);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`fcgi exited before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        if (options.detached) process.kill(-child.pid!, 'SIGKILL');
        else child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
