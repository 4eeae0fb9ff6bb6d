import { freePort } from '../ports';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

export const startHaproxy: StartWebServer = async (runDir, backend) => {
  const port = await freePort();
  const endpoint = backend.endpoint;
  const config = renderTemplate('haproxy.cfg', runDir.path, {
    listen_port: port,
    backend: 'socketPath' in endpoint ? `unix@${endpoint.socketPath}` : `${endpoint.host}:${endpoint.port}`,
    doc_root: runDir.docRoot,
  });
  return launchWebServer({
    name: 'haproxy',
    command: 'haproxy',
    args: ['-db', '-f', config],
    port,
    logFile: runDir.file('haproxy.log'),
  });
};
