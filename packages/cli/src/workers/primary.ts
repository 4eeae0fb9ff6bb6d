import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServeCommandOptions } from '../commands/serve';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { formatAddress } from '../format-address';
import { type CliIO, whenAborted } from '../io';
import { DEFAULT_SOCKET_MODE } from '../listen';
import { isMessage, POOL_ENV, type PoolTransport, type PrimaryMessage, type WorkerMessage } from './messages';
import { claimSocketPath, type PoolSocket } from './pool-socket';

/** How long a worker gets to finish its requests after the shutdown message before it is killed. */
const WORKER_STOP_TIMEOUT_MS = 15_000;

/**
 * `fcgi serve --workers N`: the primary resolves one transport, forks N workers that all listen on it
 * through node:cluster, replaces a worker that dies after it was serving (or that is killed while it
 * starts, once the pool serves), and on io.signal asks every worker to close gracefully and waits for
 * them. A unix socket path belongs to the primary for the whole run (see PoolSocket).
 */
export async function runWorkerPool(options: ServeCommandOptions, io: CliIO): Promise<number> {
  const modulePath = resolve(io.cwd, options.module);
  // The app's code runs in the workers only; here just fail early on a missing file.
  if (!existsSync(modulePath))
    throw new CliError(`cannot find module ${options.module} (looked for ${modulePath})`);
  const socketPath = options.socketPath === undefined ? undefined : resolve(io.cwd, options.socketPath);
  const socketMode = options.socketMode ?? DEFAULT_SOCKET_MODE;
  const socket = socketPath === undefined ? undefined : await claimSocketPath(socketPath, socketMode);
  try {
    return await runPool(
      options,
      socket ? { socketPath: socket.bindPath, socketMode } : resolvePoolTransport(options, io),
      socket,
      io,
      modulePath,
    );
  } finally {
    socket?.release();
  }
}

/** Forks and keeps the workers on `transport` until io.signal aborts or the pool cannot go on. */
async function runPool(
  options: ServeCommandOptions,
  transport: PoolTransport,
  socket: PoolSocket | undefined,
  io: CliIO,
  modulePath: string,
): Promise<number> {
  // Every worker accepts on the shared listener itself. With the default round-robin the primary
  // accepts and hands each connection over, and one handed to a worker that dies at that moment stays
  // open with nobody reading it: the web server waits for its read timeout (a 504) instead of a 502.
  // Must be set before the first setupPrimary(), which fixes the policy.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: workerEntry(), args: ['serve', modulePath], cwd: io.cwd });

  const size = options.workers ?? 1;
  const workers = new Set<Worker>();
  /** The workers listening now. */
  const serving = new Set<Worker>();
  /** Some worker has listened: the module loads and the transport works. */
  let served = false;
  let announced = false;
  let stopping = false;
  let failure: unknown;
  let settle: () => void = () => {};
  const allExited = new Promise<void>((resolve) => (settle = resolve));
  const shutdown: PrimaryMessage = { type: 'fcgi:shutdown' };

  const fork = (replacing?: number) => {
    const worker = cluster.fork({ [POOL_ENV]: JSON.stringify(transport), FCGI_SOCKET: '', FCGI_PORT: '' });
    let listening = false;
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isMessage<WorkerMessage>(message, 'fcgi:listening') || listening) return;
      listening = true;
      // A worker that was still starting when the stop began must hear it now.
      if (stopping) return worker.send(shutdown);
      try {
        socket?.publish();
      } catch (error) {
        failure ??= error;
        return stopAll();
      }
      serving.add(worker);
      if (replacing !== undefined) {
        io.stderr.write(`fcgi serve: worker ${worker.process.pid} replaced worker ${replacing}\n`);
      }
      // The others start once the first serves: a broken module then reports its error once, not N times.
      // (With port 0 they all ask node:cluster for "port 0" and get the primary's one shared handle.)
      if (!served) {
        served = true;
        for (let i = 1; i < size; i++) fork();
      }
      if (!announced && serving.size === size) {
        announced = true;
        // The workers listen on the socket's private name; the path is where the web server connects.
        const address = formatAddress(options.socketPath ?? message.address);
        io.stdout.write(`fcgi serve: ${options.module} listening on ${address} with ${size} workers\n`);
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      serving.delete(worker);
      const pid = worker.process.pid;
      const how = signal ?? `code ${code}`;
      const crashed = signal !== null || code !== 0;
      if (!stopping && listening && crashed) {
        io.stderr.write(`fcgi serve: worker ${pid} exited (${how}); starting another\n`);
        fork(pid);
      } else if (!stopping && listening) {
        // A clean exit is a worker told to stop (systemd signals the whole cgroup, a terminal the whole
        // process group); the primary's own signal follows. Without workers left, the pool is done.
        if (workers.size === 0) stopAll();
      } else if (!stopping && served && signal !== null) {
        // Killed while starting (the OOM killer, an operator): the module and the transport are known to
        // work, so this is no reason to stop a pool that serves.
        io.stderr.write(
          `fcgi serve: worker ${pid} was killed (${signal}) while starting; starting another\n`,
        );
        fork(pid);
      } else if (!stopping) {
        // A worker that could not get to serve by itself (bad module, bind error) would fail again.
        failure ??= new CliError(`a worker exited (${how}) before it could serve; see above`);
        stopAll();
      }
      if (stopping && workers.size === 0) settle();
    });
  };
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of workers) {
      if (worker.isConnected()) worker.send(shutdown);
      setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS).unref();
    }
    if (workers.size === 0) settle();
  };

  fork();
  await Promise.race([whenAborted(io.signal), allExited]);
  stopAll();
  await allExited;
  if (failure) throw failure;
  return ExitCode.Ok;
}

/** The CLI entry the workers run: dist/cli.js beside this bundle, else this process's own script. */
function workerEntry(): string {
  const beside = fileURLToPath(new URL('./cli.js', import.meta.url));
  return existsSync(beside) ? beside : process.argv[1]!;
}

function resolvePoolTransport(options: ServeCommandOptions, io: CliIO): PoolTransport {
  if (options.port !== undefined) return { port: options.port, host: options.host ?? '127.0.0.1' };
  // LISTEN_PID names the primary, so the workers could not recognise systemd's socket themselves.
  if (io.env.LISTEN_PID === String(process.pid) && Number(io.env.LISTEN_FDS) >= 1) return { inheritedFd: 3 };
  // Workers share the primary's fd 0; their listen() goes through node:cluster to the primary, so
  // serve()'s own test (listen on fd 0, else a free port) decides the same way for all of them.
  return { fromParent: true };
}
