import { resolve } from 'node:path';
import { serve } from '@fcgi/node';
import app from './app';

// FCGI_PORT listens on 127.0.0.1:<port>; otherwise a unix socket at FCGI_SOCKET, else ./app.sock.
const port = process.env.FCGI_PORT ? Number(process.env.FCGI_PORT) : undefined;
const socketPath = port === undefined ? resolve(process.env.FCGI_SOCKET || 'app.sock') : undefined;

const server = await serve(app, port === undefined ? { socketPath } : { port, host: '127.0.0.1' });

let closing = false;
function shutdown(signal: string): void {
  if (closing) return;
  closing = true;
  console.log(`express example: ${signal}, closing`);
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
const where =
  typeof server.address === 'string' ? `unix:${server.address}` : `127.0.0.1:${server.address?.port}`;
// Logged once the signal handlers are in place: whoever waits for this line may stop us right away.
console.log(`express example: FastCGI on ${where}`);
