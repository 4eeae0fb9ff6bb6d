import { freePort } from '@fcgi/test-utils/processes';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

export const startCaddy: StartWebServer = async (runDir, backend) => {
  const port = await freePort();
  const endpoint = backend.endpoint;
  const config = renderTemplate('Caddyfile', runDir.path, {
    listen_port: port,
    backend: 'socketPath' in endpoint ? `unix/${endpoint.socketPath}` : `${endpoint.host}:${endpoint.port}`,
    run_dir: runDir.path,
    doc_root: runDir.docRoot,
  });
  // Caddy also writes under $HOME and the XDG dirs: keep all of it in the run dir.
  const env = {
    ...process.env,
    HOME: runDir.path,
    XDG_DATA_HOME: runDir.file('xdg-data'),
    XDG_CONFIG_HOME: runDir.file('xdg-config'),
  };
  return launchWebServer({
    name: 'caddy',
    command: 'caddy',
    args: ['run', '--config', config, '--adapter', 'caddyfile'],
    env,
    port,
    logFile: runDir.file('caddy.log'),
  });
};
