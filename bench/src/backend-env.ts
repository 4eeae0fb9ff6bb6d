import { rmSync } from 'node:fs';

/**
 * What every backend process shares: the unix socket path it is told to listen on (a stale file
 * from an earlier run is removed first) and a prompt exit on SIGTERM/SIGINT.
 */
export function backendSocketPath(): string {
  const path = process.env.BENCH_SOCKET;
  if (!path) {
    process.stderr.write('BENCH_SOCKET (a unix socket path) must be set\n');
    process.exit(2);
  }
  rmSync(path, { force: true });
  return path;
}

export function exitOnSignal(close: () => unknown): void {
  const stop = () => {
    // A benchmark backend has nothing to drain; a second signal or a slow close must not hang the run.
    setTimeout(() => process.exit(0), 2000).unref();
    Promise.resolve(close()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
