import type { Readable, Writable } from 'node:stream';

/**
 * Where a command reads and writes, so the programmatic API can run commands in-process (tests,
 * tools) with their own streams, working directory, environment and stop signal.
 */
export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Stops long-running commands (serve, gateway, dev) gracefully; cli.ts wires SIGTERM/SIGINT/SIGUSR1 to it. */
  signal?: AbortSignal;
}

export function resolveIO(io: Partial<CliIO> = {}): CliIO {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    ...(io.signal ? { signal: io.signal } : {}),
  };
}

/** Resolves when `signal` aborts (never, without a signal). */
export function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
