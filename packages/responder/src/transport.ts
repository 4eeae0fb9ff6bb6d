import { fstatSync } from 'node:fs';
import type { Server } from 'node:net';
import { listenServer } from './listen-server';
import type { ServeOptions } from './types';
import { listenUnix } from './unix-socket';

/** A server that is listening, plus what close() must clean up. */
export interface Listener {
  server: Server;
  /**
   * The unix socket's path as asked for: what `ServeResult.address` reports (the server itself may have
   * bound another name, see listenUnix).
   */
  socketPath: string | undefined;
  /**
   * Call right before closing the server: removes the unix socket file if it is still the one this
   * process placed there (see listenUnix).
   */
  removeSocketFile(): void;
  /** Where the server listens, as `ServeResult.address` reports it. */
  kind: 'server' | 'fd' | 'unix' | 'tcp' | 'systemd' | 'fcgi-fd0' | 'ephemeral';
}

const SYSTEMD_FIRST_FD = 3;
/**
 * The socket file's mode unless `socketMode` says otherwise: owner and group may connect, others may
 * not, whatever the umask (php-fpm's `listen.mode` default). The web server reaches it through a group
 * it shares with the app. listenUnix gives the socket its mode before it appears at the path.
 */
export const DEFAULT_SOCKET_MODE = 0o660;
const FCGI_LISTENSOCK_FILENO = 0;

/**
 * Picks and opens the transport, in this order: `server`, `inheritedFd`, `socketPath`, `port`/`host`;
 * with none of them, a socket handed over by the parent: systemd's first socket (fd 3) when LISTEN_PID
 * is this process and LISTEN_FDS ≥ 1, else fd 0 when it is a socket that accepts listen() (FastCGI §2.2,
 * how spawn-fcgi, lighttpd and mod_fcgid start apps); else an ephemeral port on 127.0.0.1.
 */
export async function openListener(
  options: ServeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Listener> {
  if (options.server) return withoutFile(options.server, 'server');
  if (options.inheritedFd !== undefined) {
    return withoutFile(await listenServer({ fd: options.inheritedFd }), 'fd');
  }
  if (options.socketPath !== undefined) {
    const unix = await listenUnix(options.socketPath, options.socketMode ?? DEFAULT_SOCKET_MODE);
    return {
      server: unix.server,
      socketPath: options.socketPath,
      removeSocketFile: unix.removePath,
      kind: 'unix',
    };
  }
  if (options.port !== undefined || options.host !== undefined) {
    return withoutFile(
      await listenServer({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' }),
      'tcp',
    );
  }
  if (env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS) >= 1) {
    return withoutFile(await listenServer({ fd: SYSTEMD_FIRST_FD }), 'systemd');
  }
  const fd0 = await listenOnStdin();
  if (fd0) return withoutFile(fd0, 'fcgi-fd0');
  return withoutFile(await listenServer({ port: 0, host: '127.0.0.1' }), 'ephemeral');
}

/** A listener with no socket file of ours to remove. */
function withoutFile(server: Server, kind: Listener['kind']): Listener {
  return { server, socketPath: undefined, removeSocketFile: () => {}, kind };
}

/**
 * fd 0 is our listening socket only if it is a socket at all (fstat) and listen() on it succeeds: a
 * connected socket (a web server piping to us) fails with EINVAL and is left alone.
 */
async function listenOnStdin(): Promise<Server | undefined> {
  try {
    if (!fstatSync(FCGI_LISTENSOCK_FILENO).isSocket()) return undefined;
  } catch {
    return undefined;
  }
  try {
    return await listenServer({ fd: FCGI_LISTENSOCK_FILENO });
  } catch {
    return undefined;
  }
}
