import { resolve } from 'node:path';
import { serve } from '@fcgi/responder';
import hello from './app';

// FCGI_PORT picks TCP on 127.0.0.1; otherwise a unix socket: FCGI_SOCKET, or ./hello.sock.
const port = process.env.FCGI_PORT ? Number(process.env.FCGI_PORT) : undefined;
const socketPath = port === undefined ? resolve(process.env.FCGI_SOCKET || 'hello.sock') : undefined;

const server = await serve(hello, port !== undefined ? { port, host: '127.0.0.1' } : { socketPath });
const where =
  typeof server.address === 'string' ? `unix:${server.address}` : `127.0.0.1:${server.address?.port}`;
console.log(`hello: FastCGI on ${where} (try: pnpm exec fcgi request ${where} /)`);

// Finish the requests in flight, then exit (and remove the socket file).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
