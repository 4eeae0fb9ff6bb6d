import { createServer, type ListenOptions, type Server } from 'node:net';

/** Where to listen: net.ListenOptions, or a listening socket inherited as a file descriptor. */
export type ListenTarget = ListenOptions | { fd: number };

/** A new net.Server listening as `target` says; a listen error rejects, and the server is closed. */
export function listenServer(target: ListenTarget): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const onError = (error: Error) => {
      server.close();
      reject(error);
    };
    server.once('error', onError);
    server.listen(target, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
