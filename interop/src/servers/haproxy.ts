import { freePort } from '@fcgi/test-utils/processes';
import { renderTemplate } from '../render';
import { launchWebServer } from './launch-server';
import type { StartWebServer } from './types';

function haproxyWith(template: string): StartWebServer {
  return async (runDir, backend) => {
    const port = await freePort();
    const endpoint = backend.endpoint;
    const config = renderTemplate(template, runDir.path, {
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
}

export const startHaproxy = haproxyWith('haproxy.cfg');
/** The multiplexing variant: HAProxy asks FCGI_GET_VALUES and follows the app's FCGI_MPXS_CONNS. */
export const startHaproxyMpxs = haproxyWith('haproxy-mpxs.cfg');
