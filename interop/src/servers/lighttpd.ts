import { freePort } from '@fcgi/test-utils/processes';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

export const startLighttpd: StartWebServer = async (runDir, backend) => {
  const port = await freePort();
  const endpoint = backend.endpoint;
  const config = renderTemplate('lighttpd.conf', runDir.path, {
    listen_port: port,
    backend:
      'socketPath' in endpoint
        ? `"socket" => ${JSON.stringify(endpoint.socketPath)}`
        : `"host" => "${endpoint.host}", "port" => ${endpoint.port}`,
    run_dir: runDir.path,
    doc_root: runDir.docRoot,
  });
  return launchWebServer({
    name: 'lighttpd',
    command: 'lighttpd',
    args: ['-D', '-f', config],
    port,
    logFile: runDir.file('lighttpd-stdio.log'),
  });
};
