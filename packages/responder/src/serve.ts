import type { Socket } from 'node:net';
import { createAddressFilter } from './address-filter';
import { Connection } from './connection';
import { reportError } from './error-ending';
import { ConnectionDeniedError } from './errors';
import { connectionOptions, DEFAULTS, nonNegative } from './options';
import { openListener } from './transport';
import type { Handler, ServeOptions, ServeResult } from './types';

/**
 * Serves `handler` over FastCGI. Resolves once the transport is listening (see openListener for the
 * order in which transports are chosen).
 */
export async function serve(handler: Handler, options: ServeOptions = {}): Promise<ServeResult> {
  if (typeof handler !== 'function') throw new TypeError('serve(handler): handler must be a function');
  const perConnection = connectionOptions(options);
  const closeTimeout = nonNegative('closeTimeout', options.closeTimeout) ?? DEFAULTS.closeTimeout;
  const idleGraceMs = nonNegative('idleGraceMs', options.idleGraceMs) ?? DEFAULTS.idleGraceMs;
  const filter = createAddressFilter(options.allowedAddresses);
  const listener = await openListener(options);
  const { server } = listener;
  const connections = new Set<Connection>();
  let closing: Promise<void> | undefined;

  // onError is for information here; a throwing hook must not break accepting.
  const report = (error: Error) => reportError(perConnection.onError, error, {});

  const onConnection = (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    if (filter && !filter.allows(socket.remoteAddress)) {
      socket.destroy();
      report(new ConnectionDeniedError(socket.remoteAddress));
      return;
    }
    const max = perConnection.maxConnections;
    if (max !== undefined && connections.size >= max && !makeRoom(connections, max)) {
      socket.destroy();
      report(
        new Error(
          `Connection refused: maxConnections (${max}) reached, every connection is serving a request`,
        ),
      );
      return;
    }
    socket.setNoDelay?.(true);
    const connection = new Connection(socket, handler, perConnection);
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  };
  server.on('connection', onConnection);
  // A listening server reports accept errors (EMFILE...) here; without a listener they would crash.
  server.on('error', report);

  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      // Before the server closes, as libuv does: a newer process may take the path while we drain.
      listener.removeSocketFile();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.shutdown(idleGraceMs);
      const deadline = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, closeTimeout);
      await Promise.all([serverClosed, ...[...connections].map((connection) => connection.closed)]);
      clearTimeout(deadline);
      server.off('connection', onConnection);
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    close,
    get address() {
      return listener.socketPath ?? server.address();
    },
  };
}

/**
 * At maxConnections a newcomer is let in if a place is free (connections on their way out hold none)
 * or can be freed: the connection that has served nothing for longest (idle, or a request head still
 * trickling in) gives way, so that a slowloris cannot lock the web server out.
 */
function makeRoom(connections: Set<Connection>, max: number): boolean {
  let places = 0;
  let spare: Connection | undefined;
  let spareSince = Number.POSITIVE_INFINITY;
  for (const connection of connections) {
    if (!connection.holdsPlace) continue;
    places++;
    const since = connection.spareSince;
    if (since !== undefined && since < spareSince) {
      spare = connection;
      spareSince = since;
    }
  }
  if (places < max) return true;
  if (!spare) return false;
  spare.giveWay();
  return true;
}
