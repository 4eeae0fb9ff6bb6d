/** Runs the built conformance app (examples/conformance) as its README's contract describes (examples/conformance/README.md, "Launching"). */

import { chmodSync, existsSync } from 'node:fs';
import { type Endpoint, freePort, type LaunchedProcess, launch } from '@fcgi/test-utils/processes';
import { paths } from './paths';
import type { RunDir } from './run-dir';

export type BackendTransport = 'unix' | 'tcp';

export interface Backend {
  readonly transport: BackendTransport;
  readonly endpoint: Endpoint;
  /** The process currently serving (replaced by restart()). */
  readonly process: LaunchedProcess;
  /** Stops the app if it is running and starts it again on the same socket path or port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startOnce(runDir: RunDir, endpoint: Endpoint): Promise<LaunchedProcess> {
  if (!existsSync(paths.conformanceServer)) {
    throw new Error(`${paths.conformanceServer} is missing: run \`pnpm build\` first`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, FCGI_STATS: '1' };
  delete env.FCGI_SOCKET;
  delete env.FCGI_PORT;
  if ('socketPath' in endpoint) env.FCGI_SOCKET = endpoint.socketPath;
  else env.FCGI_PORT = String(endpoint.port);
  const app = await launch({
    name: 'conformance app',
    command: 'bash',
    args: ['-c', `exec node ${JSON.stringify(paths.conformanceServer)}`],
    env,
    logFile: runDir.file('app.log'),
    readyWhen: endpoint,
  });
  // Apache's workers run as www-data.
  if ('socketPath' in endpoint) chmodSync(endpoint.socketPath, 0o666);
  return app;
}

export async function startBackend(runDir: RunDir, transport: BackendTransport): Promise<Backend> {
  const endpoint: Endpoint =
    transport === 'unix'
      ? { socketPath: runDir.file('app.sock') }
      : { host: '127.0.0.1', port: await freePort() };
  return restartableBackend(transport, endpoint, () => startOnce(runDir, endpoint));
}

/** A Backend around `start`, which launches the app on `endpoint`; restart() launches it again there. */
export async function restartableBackend(
  transport: BackendTransport,
  endpoint: Endpoint,
  start: () => Promise<LaunchedProcess>,
): Promise<Backend> {
  let current = await start();
  return {
    transport,
    endpoint,
    get process() {
      return current;
    },
    async restart() {
      await current.stop();
      current = await start();
    },
    async stop() {
      await current.stop();
    },
  };
}
