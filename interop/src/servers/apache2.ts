import { freePort } from '@fcgi/test-utils/processes';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

export const startApache2: StartWebServer = async (runDir, backend) => {
  const port = await freePort();
  const endpoint = backend.endpoint;
  const config = renderTemplate('apache2.conf', runDir.path, {
    listen_port: port,
    backend_url:
      'socketPath' in endpoint
        ? `unix:${endpoint.socketPath}|fcgi://localhost/`
        : `fcgi://${endpoint.host}:${endpoint.port}/`,
    run_dir: runDir.path,
  });
  return launchWebServer({
    name: 'apache2',
    command: 'apache2',
    args: ['-f', config, '-DFOREGROUND'],
    port,
    logFile: runDir.file('apache2-stdio.log'),
  });
};
