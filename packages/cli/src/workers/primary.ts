import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServeCommandOptions } from '../commands/serve';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { formatAddress } from '../format-address';
import { type CliIO, whenAborted } from '../io';
import { isMessage, POOL_ENV, type PoolTransport, type PrimaryMessage, type WorkerMessage } from './messages';

/** How long a worker gets to finish its requests after the shutdown message before it is killed. */
const WORKER_STOP_TIMEOUT_MS = 15_000;

/**
 * `fcgi serve --workers N`: the primary resolves one transport, forks N workers that all listen on it
 * through node:cluster, replaces a worker that dies after it was serving, and on io.signal asks every
 * worker to close gracefully and waits for them.
 */
export async function runWorkerPool(options: ServeCommandOptions, io: CliIO): Promise<number> {
  const modulePath = resolve(io.cwd, options.module);
  // The app's code runs in the workers only; here just fail early on a missing file.
  if (!existsSync(modulePath))
    throw new CliError(`cannot find module ${options.module} (looked for ${modulePath})`);
  const transport = await resolvePoolTransport(options, io);
  // Every worker accepts on the shared listener itself. With the default round-robin the primary
  // accepts and hands each connection over, and one handed to a worker that dies at that moment stays
  // open with nobody reading it: the web server waits for its read timeout (a 504) instead of a 502.
  // Must be set before the first setupPrimary(), which fixes the policy.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: workerEntry(), args: ['serve', modulePath], cwd: io.cwd });

  const size = options.workers ?? 1;
  const workers = new Set<Worker>();
  let stopping = false;
  let serving = 0;
  let failure: CliError | undefined;
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
      if (replacing !== undefined) {
        io.stderr.write(`fcgi serve: worker ${worker.process.pid} replaced worker ${replacing}\n`);
        return;
      }
      serving++;
      // The others start once the first serves: a broken module then reports its error once, not N times.
      // (With port 0 they all ask node:cluster for "port 0" and get the primary's one shared handle.)
      if (serving === 1) for (let i = 1; i < size; i++) fork();
      if (serving === size) {
        io.stdout.write(
          `fcgi serve: ${options.module} listening on ${formatAddress(message.address)} with ${size} workers\n`,
        );
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      const how = signal ?? `code ${code}`;
      const crashed = signal !== null || code !== 0;
      if (!stopping && listening && crashed) {
        io.stderr.write(`fcgi serve: worker ${worker.process.pid} exited (${how}); starting another\n`);
        fork(worker.process.pid);
      } else if (!stopping && listening) {
        // A clean exit is a worker told to stop (systemd signals the whole cgroup, a terminal the whole
        // process group); the primary's own signal follows. Without workers left, the pool is done.
        if (workers.size === 0) stopAll();
      } else if (!stopping) {
        // A worker that never got to serve (bad module, bind error) would fail again: stop the pool.
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
  if ('socketPath' in transport) await unlink(transport.socketPath).catch(() => {});
  if (failure) throw failure;
  return ExitCode.Ok;
}

/** The CLI entry the workers run: dist/cli.js beside this bundle, else this process's own script. */
function workerEntry(): string {
  const beside = fileURLToPath(new URL('./cli.js', import.meta.url));
  return existsSync(beside) ? beside : process.argv[1]!;
}

async function resolvePoolTransport(options: ServeCommandOptions, io: CliIO): Promise<PoolTransport> {
  if (options.socketPath !== undefined) {
    const socketPath = resolve(io.cwd, options.socketPath);
    await removeStaleSocket(socketPath);
    return options.socketMode !== undefined ? { socketPath, socketMode: options.socketMode } : { socketPath };
  }
  if (options.port !== undefined) return { port: options.port, host: options.host ?? '127.0.0.1' };
  // LISTEN_PID names the primary, so the workers could not recognise systemd's socket themselves.
  if (io.env.LISTEN_PID === String(process.pid) && Number(io.env.LISTEN_FDS) >= 1) return { inheritedFd: 3 };
  // Workers share the primary's fd 0; their listen() goes through node:cluster to the primary, so
  // serve()'s own test (listen on fd 0, else a free port) decides the same way for all of them.
  return { fromParent: true };
}

/**
 * The workers cannot each clean up the socket path (one would delete another's), so the primary does:
 * a path nobody accepts on is a leftover from a crash and goes; a live one is an error.
 */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new CliError(`${path} is in use by another server; stop it or choose another --socket`);
  await unlink(path).catch(() => {});
}
