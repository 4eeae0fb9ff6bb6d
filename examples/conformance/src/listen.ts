/** Where the app listens, from the environment the interop suite defines (README, "Launching"). */

import { lstatSync, unlinkSync } from 'node:fs';

export type ListenTarget = { socketPath: string } | { port: number; host: string };

export function listenTargetFromEnv(env: NodeJS.ProcessEnv): ListenTarget {
  const socketPath = env.FCGI_SOCKET;
  if (socketPath) return { socketPath };
  const port = Number(env.FCGI_PORT);
  if (env.FCGI_PORT && Number.isInteger(port) && port > 0 && port < 65536) return { port, host: '127.0.0.1' };
  throw new Error('Set FCGI_SOCKET to a unix socket path or FCGI_PORT to a TCP port (on 127.0.0.1)');
}

/** Removes a socket left behind by a previous run, so a restart can bind the same path. */
export function removeStaleSocket(socketPath: string): void {
  try {
    // Only a socket: a regular file at that path is a configuration mistake we should not hide.
    if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
