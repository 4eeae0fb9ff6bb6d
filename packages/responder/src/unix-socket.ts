import cluster from 'node:cluster';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { listenServer } from './listen-server';

/** A listening unix socket, and how to take its path away again when the server closes. */
export interface UnixListener {
  server: Server;
  /**
   * Removes the socket file if it is still the one this process put there: a path taken over by a
   * newer process (after a restart, while this one drains) is left alone. Call it right before closing
   * the server, as libuv does with a path it bound itself.
   */
  removePath(): void;
}

/** Which file a path named when we looked, to tell our socket from one that replaced it. */
interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * The longest socket path bind() takes: sun_path is 108 bytes on Linux and 104 on the BSDs and macOS,
 * the last one for the terminating NUL.
 */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
/** The staging directory's name prefix (mkdtemp adds six random characters) and the socket's name in it. */
const STAGING_PREFIX = '.fcgi-';
const STAGING_NAME = 's';
/** Only this user may enter the staging directory, so nobody reaches the socket before its mode is set. */
const STAGING_DIR_MODE = 0o700;
/** link() errors of a filesystem that cannot hard-link a socket: fall back to binding in place. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Listens on the unix socket `path` with permissions `mode`, replacing a stale socket file (nobody
 * accepts on it) but never a live one.
 *
 * The socket is bound inside a fresh directory only this user can enter, next to `path`, given its mode
 * there, and only then hard-linked to `path`: no process can ever connect to it with the permissions
 * the umask would have given (under umask 000 that is 0777), and no process-global state (the umask)
 * is touched. link() fails with EEXIST rather than replacing what is there, which keeps "a live socket
 * is never stolen" atomic. The staging name is removed at once; when the server closes, libuv unlinks
 * the name it bound (the staging one, long gone), never `path`: that is removePath()'s job, and it
 * checks the path still names our socket first.
 *
 * In a node:cluster worker the primary binds the path on every worker's behalf (keyed by path, so all
 * of them share one socket) and removes it when the last worker leaves; a worker binds in place, sets
 * the mode right after (a moment in which the umask's mode applies: keep the socket in a directory
 * only the app and the web server can enter) and never removes the path, which the others still use.
 */
export async function listenUnix(path: string, mode: number): Promise<UnixListener> {
  // An abstract socket (Linux, leading NUL) and a Windows named pipe have no file: no mode, nothing to remove.
  if (path.startsWith('\0') || process.platform === 'win32') {
    return { server: await listenServer({ path }), removePath: () => {} };
  }
  if (cluster.isWorker) {
    const server = await bindInPlace(path);
    applyMode(server, path, mode);
    return { server, removePath: () => {} };
  }
  const staging = createStaging(path);
  if (staging === undefined) return bindInPlaceOwned(path, mode);
  try {
    const server = await listenServer({ path: staging.socket }).catch((error: unknown) => {
      throw explainListenError(path, error);
    });
    try {
      chmodSync(staging.socket, mode);
      if (await linkIntoPlace(staging.socket, path)) {
        const identity = identify(statSync(path));
        return { server, removePath: () => unlinkIfSame(path, identity) };
      }
    } catch (error) {
      server.close();
      throw error;
    }
    server.close();
    return bindInPlaceOwned(path, mode);
  } finally {
    rmSync(staging.dir, { recursive: true, force: true });
  }
}

/** A private directory next to `path` to bind in, or undefined when its socket path would be too long. */
function createStaging(path: string): { dir: string; socket: string } | undefined {
  const parent = dirname(resolve(path));
  const sample = join(parent, `${STAGING_PREFIX}XXXXXX`, STAGING_NAME);
  if (Buffer.byteLength(sample) > MAX_SOCKET_PATH_BYTES) return undefined;
  let dir: string;
  try {
    dir = mkdtempSync(join(parent, STAGING_PREFIX));
  } catch (error) {
    throw explainListenError(path, error);
  }
  // mkdtemp asks for 0700 and the umask can only narrow that; an odd umask must not lock us out.
  chmodSync(dir, STAGING_DIR_MODE);
  return { dir, socket: join(dir, STAGING_NAME) };
}

/**
 * Links the staged socket to `path`. Something already there is replaced only if it is a stale socket;
 * false when this filesystem cannot hard-link sockets.
 */
async function linkIntoPlace(staged: string, path: string): Promise<boolean> {
  try {
    linkSync(staged, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (NO_HARD_LINKS.has(code)) return false;
    if (code !== 'EEXIST') throw explainListenError(path, error);
  }
  await removeIfStale(path);
  try {
    linkSync(staged, path);
    return true;
  } catch (error) {
    // Another process took the path between our look and our link: it is theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw inUseError(path);
    throw explainListenError(path, error);
  }
}

/** The fallback without a staging directory: bind at `path` itself, mode right after. */
async function bindInPlaceOwned(path: string, mode: number): Promise<UnixListener> {
  const server = await bindInPlace(path);
  applyMode(server, path, mode);
  const identity = identify(statSync(path));
  return { server, removePath: () => unlinkIfSame(path, identity) };
}

function applyMode(server: Server, path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (error) {
    server.close();
    throw error;
  }
}

async function bindInPlace(path: string): Promise<Server> {
  try {
    return await listenServer({ path });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw explainListenError(path, error);
  }
  await removeIfStale(path);
  return listenServer({ path }).catch((error: unknown) => {
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? inUseError(path) : error;
  });
}

/** Removes the socket file at `path` if nobody accepts on it; a live socket or any other file is an error. */
async function removeIfStale(path: string): Promise<void> {
  let found: Stats;
  try {
    found = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!found.isSocket()) {
    throw new Error(`socketPath ${path} exists and is not a socket; refusing to replace it`);
  }
  if (await isLive(path)) throw inUseError(path);
  // Only the file we probed: one that replaced it meanwhile belongs to whoever put it there.
  unlinkIfSame(path, identify(found));
}

/**
 * True unless connecting says nobody listens: only ECONNREFUSED (a socket file without a listener) and
 * ENOENT (gone meanwhile) mean stale. A live server with a full backlog answers EAGAIN, and any other
 * failure is no proof that the file is unused either.
 */
export function isLive(path: string): Promise<boolean> {
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

function inUseError(path: string): NodeJS.ErrnoException {
  const error = new Error(
    `socketPath ${path} is in use by a running process (EADDRINUSE)`,
  ) as NodeJS.ErrnoException;
  error.code = 'EADDRINUSE';
  return error;
}

function identify(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

function unlinkIfSame(path: string, identity: FileIdentity): void {
  try {
    const now = lstatSync(path);
    if (now.dev === identity.dev && now.ino === identity.ino) unlinkSync(path);
  } catch {
    // Already gone: nothing to remove.
  }
}

/**
 * A failure to create the socket, said in terms of what to do: a missing or unwritable directory is by
 * far the most common cause (/run/app does not exist until something creates it). The code and cause
 * are kept for code that switches on them.
 */
function explainListenError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EPERM') return error;
  const dir = dirname(resolve(path));
  // Node reports a missing directory as EACCES too, so look rather than trust the code.
  const advice = existsSync(dir)
    ? `the directory ${dir} is not writable by this process: make it writable for the app's user (e.g. chown it to that user) or choose another socket path`
    : `the directory ${dir} does not exist: create it (e.g. mkdir -p ${dir}, owned by the user the app runs as) or choose another socket path`;
  const explained = new Error(`cannot listen on unix socket ${path}: ${advice} (${code})`, {
    cause: error,
  }) as NodeJS.ErrnoException;
  explained.code = code;
  return explained;
}
