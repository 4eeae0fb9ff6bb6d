import { chmodSync, existsSync, fstatSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { ServeOptions } from './types';

/** A server that is listening, plus what close() must clean up. */
export interface Listener {
  server: Server;
  /** The unix socket file this process created, to remove on close. */
  socketPath: string | undefined;
  /** Where the server listens, as `ServeResult.address` reports it. */
  kind: 'server' | 'fd' | 'unix' | 'tcp' | 'systemd' | 'fcgi-fd0' | 'ephemeral';
}

const SYSTEMD_FIRST_FD = 3;
/**
 * The socket file's mode unless `socketMode` says otherwise: owner and group may connect, others may
 * not, whatever the umask (php-fpm's `listen.mode` default). The web server reaches it through a group
 * it shares with the app. The mode is set right after bind(); to leave no moment at all in which a
 * permissive umask could expose the socket, keep it in a directory only the app and the web server can
 * enter (e.g. /run/app, mode 0750), which the README recommends anyway.
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
  if (options.server) return { server: options.server, socketPath: undefined, kind: 'server' };
  if (options.inheritedFd !== undefined) {
    return { server: await listen({ fd: options.inheritedFd }), socketPath: undefined, kind: 'fd' };
  }
  if (options.socketPath !== undefined) {
    const server = await listenUnix(options.socketPath);
    try {
      chmodSync(options.socketPath, options.socketMode ?? DEFAULT_SOCKET_MODE);
    } catch (error) {
      server.close();
      throw error;
    }
    return { server, socketPath: options.socketPath, kind: 'unix' };
  }
  if (options.port !== undefined || options.host !== undefined) {
    const server = await listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    return { server, socketPath: undefined, kind: 'tcp' };
  }
  if (env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS) >= 1) {
    return { server: await listen({ fd: SYSTEMD_FIRST_FD }), socketPath: undefined, kind: 'systemd' };
  }
  const fd0 = await listenOnStdin();
  if (fd0) return { server: fd0, socketPath: undefined, kind: 'fcgi-fd0' };
  return { server: await listen({ port: 0, host: '127.0.0.1' }), socketPath: undefined, kind: 'ephemeral' };
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
    return await listen({ fd: FCGI_LISTENSOCK_FILENO });
  } catch {
    return undefined;
  }
}

function listen(
  options: { fd: number } | { port: number; host: string } | { path: string },
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const onError = (error: Error) => {
      server.close();
      reject(error);
    };
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Binds a unix socket, replacing a stale socket file (nobody accepts on it) but never a live one. */
async function listenUnix(path: string): Promise<Server> {
  try {
    return await listen({ path });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw explainUnixListenError(path, error);
  }
  if (!lstatSync(path).isSocket()) {
    throw new Error(`socketPath ${path} exists and is not a socket; refusing to replace it`);
  }
  if (await isLive(path)) {
    const error = new Error(
      `socketPath ${path} is in use by a running process (EADDRINUSE)`,
    ) as NodeJS.ErrnoException;
    error.code = 'EADDRINUSE';
    throw error;
  }
  unlinkSync(path);
  return listen({ path });
}

/**
 * The bind error, said in terms of what to do: a missing or unwritable directory is by far the most
 * common cause (/run/app does not exist until something creates it). The code and cause are kept.
 */
function explainUnixListenError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const dir = dirname(resolve(path));
  if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EPERM') return error;
  // Node reports a missing directory as EACCES too, so look rather than trust the code.
  const advice = existsSync(dir)
    ? `the directory ${dir} is not writable by this process: make it writable for the app's user or choose another socketPath`
    : `the directory ${dir} does not exist: create it (e.g. mkdir -p ${dir}, owned by the user the app runs as) or choose another socketPath`;
  const explained = new Error(`cannot listen on unix socket ${path}: ${advice} (${code})`, {
    cause: error,
  }) as NodeJS.ErrnoException;
  explained.code = code;
  return explained;
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT');
    });
  });
}
