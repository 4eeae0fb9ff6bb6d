import { launch } from '@fcgi/test-utils/processes';
import type { RunningWebServer } from './types';

export interface ServerCommand {
  name: string;
  command: string;
  args: string[];
  port: number;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a web server in the foreground and resolves once it accepts connections on its port. */
export async function launchWebServer(spec: ServerCommand): Promise<RunningWebServer> {
  const server = await launch({
    name: spec.name,
    command: spec.command,
    args: spec.args,
    env: spec.env,
    cwd: spec.cwd,
    logFile: spec.logFile,
    readyWhen: { host: '127.0.0.1', port: spec.port },
  });
  return {
    baseUrl: `http://127.0.0.1:${spec.port}`,
    port: spec.port,
    stop: async () => {
      await server.stop();
    },
  };
}
