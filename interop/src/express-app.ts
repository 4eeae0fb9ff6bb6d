/** Runs the built Express example (examples/express) as `pnpm start` does, on a unix socket in the run dir. */

import { chmodSync, existsSync } from 'node:fs';
import { type Endpoint, type LaunchedProcess, launch } from '@fcgi/test-utils/processes';
import { type Backend, restartableBackend } from './conformance-app';
import { paths } from './paths';
import type { RunDir } from './run-dir';

/** The built Express example (`pnpm build` makes it). */
const expressServer = `${paths.repoRoot}examples/express/dist/server.js`;

async function startOnce(runDir: RunDir, endpoint: { socketPath: string }): Promise<LaunchedProcess> {
  if (!existsSync(expressServer)) {
    throw new Error(`${expressServer} is missing: run \`pnpm build\` first`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, FCGI_SOCKET: endpoint.socketPath };
  delete env.FCGI_PORT;
  const app = await launch({
    name: 'express example',
    command: 'bash',
    args: ['-c', `exec node ${JSON.stringify(expressServer)}`],
    env,
    logFile: runDir.file('express-app.log'),
    readyWhen: endpoint as Endpoint,
  });
  // Apache's workers run as www-data.
  chmodSync(endpoint.socketPath, 0o666);
  return app;
}

/** The Express example as a Backend the web-server launchers take. */
export async function startExpressBackend(runDir: RunDir): Promise<Backend> {
  const endpoint = { socketPath: runDir.file('express.sock') };
  return restartableBackend('unix', endpoint, () => startOnce(runDir, endpoint));
}
