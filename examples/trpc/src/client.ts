import { resolve } from 'node:path';
import { createClient } from '@fcgi/client';
import { createFastCGITRPCClient } from './trpc-client';

// Calls the running example (`pnpm start`) over FastCGI, at FCGI_PORT or FCGI_SOCKET (else ./app.sock).
const target = process.env.FCGI_PORT
  ? `127.0.0.1:${process.env.FCGI_PORT}`
  : resolve(process.env.FCGI_SOCKET || 'app.sock');
const fcgi = createClient(target);
const trpc = createFastCGITRPCClient(fcgi);

try {
  const [books, me] = await Promise.all([trpc.books.list.query(), trpc.whoami.query()]);
  console.log('books:', books);
  console.log('whoami:', me);
  console.log('added:', await trpc.books.add.mutate({ title: 'Node.js Design Patterns' }));
  await trpc.books.byId.query(99).catch((error: Error) => console.log('byId(99):', error.message));
  await new Promise<void>((done, fail) => {
    const subscription = trpc.countdown.subscribe(3, {
      onData: (n) => {
        console.log('countdown:', n);
        if (n === 1) {
          subscription.unsubscribe();
          done();
        }
      },
      onError: fail,
    });
  });
} finally {
  await fcgi.close();
}
