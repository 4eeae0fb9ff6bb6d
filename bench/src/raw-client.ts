import { connect, type Socket } from 'node:net';
import { forEachRecord, RecordType, requestRecords } from './fcgi-wire';

/**
 * A minimal keep-alive FastCGI client on raw records: one request at a time per connection, request
 * bytes pre-encoded once, response records walked only far enough to find END_REQUEST. It costs the
 * load side as little as possible so the responder is what the micro-benchmark measures.
 */

/** The params nginx sends for a request (Debian fastcgi_params plus the usual browser headers). */
export function nginxLikeParams(method: string, uri: string, bodyLength: number): Record<string, string> {
  const q = uri.indexOf('?');
  return {
    QUERY_STRING: q === -1 ? '' : uri.slice(q + 1),
    REQUEST_METHOD: method,
    CONTENT_TYPE: bodyLength > 0 ? 'application/octet-stream' : '',
    CONTENT_LENGTH: bodyLength > 0 ? String(bodyLength) : '',
    SCRIPT_NAME: q === -1 ? uri : uri.slice(0, q),
    REQUEST_URI: uri,
    DOCUMENT_URI: q === -1 ? uri : uri.slice(0, q),
    DOCUMENT_ROOT: '/usr/share/nginx/html',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_SCHEME: 'http',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'nginx/1.22.1',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '54321',
    SERVER_ADDR: '127.0.0.1',
    SERVER_PORT: '8080',
    SERVER_NAME: 'localhost',
    REDIRECT_STATUS: '200',
    SCRIPT_FILENAME: `/usr/share/nginx/html${q === -1 ? uri : uri.slice(0, q)}`,
    HTTP_HOST: '127.0.0.1:8080',
    HTTP_USER_AGENT: 'bench/1.0',
    HTTP_ACCEPT: '*/*',
    ...(bodyLength > 0
      ? { HTTP_CONTENT_TYPE: 'application/octet-stream', HTTP_CONTENT_LENGTH: String(bodyLength) }
      : {}),
  };
}

export interface RawConnection {
  socket: Socket;
  /** Sends the pre-encoded request and resolves with the STDOUT byte count at END_REQUEST. */
  exchange(request: Buffer): Promise<number>;
  /** The same, keeping the STDOUT bytes (CGI head + body), for checking an answer. */
  exchangeBytes(request: Buffer): Promise<Buffer>;
}

export function openRaw(path: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let rest: Buffer = Buffer.alloc(0);
    let stdoutBytes = 0;
    let kept: Buffer[] | undefined;
    let waiting: { resolve: (n: number) => void; reject: (e: Error) => void } | undefined;
    const fail = (error: Error) => {
      const w = waiting;
      waiting = undefined;
      w?.reject(error);
    };
    socket.on('data', (chunk: Buffer) => {
      rest = forEachRecord(rest.length === 0 ? chunk : Buffer.concat([rest, chunk]), (type, _id, content) => {
        if (type === RecordType.Stdout) {
          stdoutBytes += content.length;
          kept?.push(Buffer.from(content));
        } else if (type === RecordType.EndRequest) {
          const w = waiting;
          waiting = undefined;
          const n = stdoutBytes;
          stdoutBytes = 0;
          w?.resolve(n);
        }
      });
    });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('connection closed')));
      const exchange = (request: Buffer) =>
        new Promise<number>((res, rej) => {
          waiting = { resolve: res, reject: rej };
          socket.write(request);
        });
      resolve({
        socket,
        exchange,
        exchangeBytes: async (request) => {
          kept = [];
          try {
            await exchange(request);
            return Buffer.concat(kept);
          } finally {
            kept = undefined;
          }
        },
      });
    });
    socket.once('error', reject);
  });
}

export function encodeRawRequest(method: string, uri: string, body?: Uint8Array): Buffer {
  return requestRecords(1, nginxLikeParams(method, uri, body?.length ?? 0), body);
}
