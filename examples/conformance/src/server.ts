/**
 * Starts the conformance app on @fcgi/responder: `FCGI_SOCKET=/path node dist/server.js` or
 * `FCGI_PORT=9000 node dist/server.js`. FCGI_STATS=1 enables GET /__stats. Exits on SIGTERM/SIGINT
 * after a graceful close (requests in flight are answered first).
 */

import { createServer } from 'node:net';
import { serve } from '@fcgi/responder';
import { createConformanceApp } from './app';
import { listenTargetFromEnv, removeStaleSocket } from './listen';
import { createStats } from './stats';

const target = listenTargetFromEnv(process.env);
const stats = process.env.FCGI_STATS === '1' ? createStats() : undefined;
const handler = createConformanceApp({ stats });

if ('socketPath' in target) removeStaleSocket(target.socketPath);

// Our own listener so that every accepted connection can be counted before the responder sees it.
const server = createServer();
if (stats) server.on('connection', () => (stats.connections += 1));
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  const onListening = () => {
    server.off('error', reject);
    resolve();
  };
  if ('socketPath' in target) server.listen(target.socketPath, onListening);
  else server.listen(target.port, target.host, onListening);
});

const running = await serve(handler, { server });
console.log(`conformance app listening on ${JSON.stringify(running.address)}`);

let closing = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing gracefully`);
  await running.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
