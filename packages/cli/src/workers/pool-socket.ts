import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { CliError } from '../errors';
import { socketDirectoryError } from '../listen';

/**
 * The unix socket path of `fcgi serve --workers`, owned by the primary for the whole run.
 *
 * node:cluster binds a unix socket in the primary on the workers' behalf, keyed by path, and closes
 * that handle when the last worker registered on it goes; libuv then unlinks the path it bound. When
 * every worker that was listening dies while the others are still starting (or all are SIGKILLed at
 * once), the path the web server uses would vanish. So the workers listen on a name in a private
 * directory next to the path (0700: nobody connects before the mode is set), and the primary
 * hard-links that socket to the path the user asked for. libuv only ever unlinks the private name;
 * the path stays for as long as the pool runs. When node:cluster had to bind a fresh socket (the old
 * one closed with its last worker), the next worker to listen makes the primary point the path at the
 * new one, with an atomic rename over its own old link. The path is removed at exit only if it still
 * names our socket. A primary killed with SIGKILL leaves its private directory behind, as it leaves its
 * socket file: nothing can tell it from a live pool's in its gap, so it is not cleaned up later either
 * (/run is emptied at boot, and systemd's RuntimeDirectory= on every start).
 */
export interface PoolSocket {
  /** Where the workers listen. */
  readonly bindPath: string;
  /**
   * Makes the path name the socket now bound at bindPath, if it does not already; call each time a
   * worker reports that it listens. Throws a CliError when another process has taken the path.
   */
  publish(): void;
  /** Removes the path if it still names our socket, and the private directory. */
  release(): void;
}

/** Where the workers' socket lives: a private directory next to the public path, and its name in it. */
const PRIVATE_DIR_PREFIX = '.fcgi-pool-';
const PRIVATE_SOCKET = 's';
/** The name the next socket is linked under before it is renamed over the path. */
const PRIVATE_LINK = 'next';
/** Only this user may enter the private directory (mkdtemp's mode, which a umask could narrow). */
const PRIVATE_DIR_MODE = 0o700;
/**
 * The longest socket path bind() takes: sun_path is 108 bytes on Linux and 104 on the BSDs and macOS,
 * the last one for the terminating NUL.
 */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/**
 * Claims `path` for a pool: a stale socket file there (nobody accepts on it) is removed, a live one or
 * any other file is a CliError, and so is a directory this user cannot create the socket in.
 */
export async function claimSocketPath(path: string, mode: number): Promise<PoolSocket> {
  try {
    await removeStaleSocket(path);
  } catch (error) {
    // A directory this user cannot even look into.
    throw socketDirectoryError(path, error) ?? error;
  }
  const parent = dirname(path);
  if (
    Buffer.byteLength(join(parent, `${PRIVATE_DIR_PREFIX}XXXXXX`, PRIVATE_SOCKET)) > MAX_SOCKET_PATH_BYTES
  ) {
    return bindInPlace(path);
  }
  let dir: string;
  try {
    dir = mkdtempSync(join(parent, PRIVATE_DIR_PREFIX));
    chmodSync(dir, PRIVATE_DIR_MODE);
  } catch (error) {
    throw socketDirectoryError(path, error) ?? error;
  }
  const bindPath = join(dir, PRIVATE_SOCKET);
  let published: Stats | undefined;
  return {
    bindPath,
    publish() {
      let bound: Stats;
      try {
        bound = statSync(bindPath);
      } catch {
        // Closed again already (its last worker died): the next worker to listen publishes.
        return;
      }
      const current = statIfPresent(path);
      if (current && sameFile(current, bound)) return;
      if (current && !(published && sameFile(current, published))) throw takenError(path);
      // The workers set the mode too; here it is certain before anyone can reach the socket.
      chmodSync(bindPath, mode);
      if (current) {
        // Our own link to a socket that closed: replaced in one step, so the path never goes missing.
        const next = join(dir, PRIVATE_LINK);
        linkSync(bindPath, next);
        renameSync(next, path);
      } else {
        try {
          linkSync(bindPath, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw takenError(path);
          throw error;
        }
      }
      published = bound;
    },
    release() {
      const current = statIfPresent(path);
      if (current && published && sameFile(current, published)) unlinkSync(path);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A path too long for a private directory beside it: the workers bind the path itself, and node:cluster
 * removes it when its last worker goes (the vanishing described above stays possible).
 */
function bindInPlace(path: string): PoolSocket {
  return { bindPath: path, publish() {}, release() {} };
}

/**
 * A path nobody accepts on is a leftover from a crash and goes; a live one is an error. Only ECONNREFUSED
 * (no listener) and ENOENT (gone meanwhile) mean stale: a live server with a full backlog answers EAGAIN,
 * and no other failure proves the file unused.
 */
async function removeStaleSocket(path: string): Promise<void> {
  const found = statIfPresent(path);
  if (!found) return;
  if (!found.isSocket()) {
    throw new CliError(`${path} exists and is not a socket; remove it or choose another --socket`);
  }
  const refusal = await new Promise<string | undefined>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(undefined);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'unknown'));
  });
  if (refusal !== 'ECONNREFUSED' && refusal !== 'ENOENT') {
    throw new CliError(`${path} is in use by another server; stop it or choose another --socket`);
  }
  // Only the file we probed: one that replaced it meanwhile belongs to whoever put it there.
  const now = statIfPresent(path);
  if (now && sameFile(now, found)) unlinkSync(path);
}

function takenError(path: string): CliError {
  return new CliError(`${path} was taken by another process; stop it or choose another --socket`);
}

function statIfPresent(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
