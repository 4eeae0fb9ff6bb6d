import { freePort } from '@fcgi/test-utils/processes';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

export const startNginx: StartWebServer = async (runDir, backend) => {
  const port = await freePort();
  const endpoint = backend.endpoint;
  const config = renderTemplate('nginx.conf', runDir.path, {
    listen_port: port,
    backend: 'socketPath' in endpoint ? `unix:${endpoint.socketPath}` : `${endpoint.host}:${endpoint.port}`,
    run_dir: runDir.path,
    doc_root: runDir.docRoot,
    user: 'root',
  });
  return launchWebServer({
    name: 'nginx',
    command: 'nginx',
    args: ['-p', runDir.path, '-e', runDir.file('nginx-error.log'), '-c', config, '-g', 'daemon off;'],
    port,
    logFile: runDir.file('nginx-stdio.log'),
  });
};
