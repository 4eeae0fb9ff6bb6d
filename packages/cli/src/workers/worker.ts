import cluster from 'node:cluster';
import { rolesOption, type ServeCommandOptions } from '../commands/serve';
import { ExitCode } from '../exit-codes';
import { type CliIO, whenAborted } from '../io';
import { listen, serveOptions } from '../listen';
import { loadHandler } from '../load-handler';
import { isMessage, POOL_ENV, type PoolTransport, type PrimaryMessage, type WorkerMessage } from './messages';

/** True in a process forked by `fcgi serve --workers`. */
export function isPoolWorker(): boolean {
  return cluster.isWorker && process.env[POOL_ENV] !== undefined;
}

/**
 * A pool worker: serves the module on the transport the primary chose (node:cluster hands every worker
 * the primary's one listening socket), reports its address, and closes gracefully when the primary
 * asks or a signal arrives.
 */
export async function runPoolWorker(options: ServeCommandOptions, io: CliIO): Promise<number> {
  const transport = JSON.parse(process.env[POOL_ENV]!) as PoolTransport;
  // Listen first: a message that arrives while the module loads would otherwise be dropped.
  const shutdownRequested = new Promise<void>((resolve) => {
    process.on('message', (message) => {
      if (isMessage<PrimaryMessage>(message, 'fcgi:shutdown')) resolve();
    });
  });
  const handler = await loadHandler(options.module, io.cwd);
  const server = await listen(handler, {
    ...serveOptions('socketPath' in transport || 'port' in transport ? transport : {}, io),
    ...('inheritedFd' in transport ? { inheritedFd: transport.inheritedFd } : {}),
    ...rolesOption(options),
  });
  const listening: WorkerMessage = { type: 'fcgi:listening', address: server.address };
  process.send?.(listening);
  await Promise.race([shutdownRequested, whenAborted(io.signal)]);
  await server.close();
  cluster.worker?.disconnect();
  return ExitCode.Ok;
}
