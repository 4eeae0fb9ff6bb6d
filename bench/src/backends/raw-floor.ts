import { createServer, type Socket } from 'node:net';
import { BINARY_TYPE, bytesBody, HELLO_BODY, TEXT_TYPE } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';
import { decodePairs, forEachRecord, RecordType, responseParts, responseRecords } from '../fcgi-wire';

/**
 * The no-API floor: a hand-written FastCGI responder with no Request, Response, Headers or streams.
 * It decodes the params (latin1) and answers with pre-built records in one write, so its CPU per
 * request is the least a Node FastCGI backend can cost here. Not a library: no limits, no errors.
 */
const helloHead = `Content-Type: ${TEXT_TYPE}\r\nContent-Length: ${HELLO_BODY.length}\r\nStatus: 200 OK\r\n\r\n`;
const helloCache = new Map<number, Buffer>();
const notFound = (id: number) => responseRecords(id, 'Status: 404 Not Found\r\n\r\n', Buffer.alloc(0));
const binaryHead = (length: number) =>
  `Content-Type: ${BINARY_TYPE}\r\nContent-Length: ${length}\r\nStatus: 200 OK\r\n\r\n`;

// Below this a response is copied into one buffer; above, its parts go out corked as one writev.
const COPY_LIMIT = 16 * 1024;

function writeParts(socket: Socket, parts: Buffer[]): void {
  let total = 0;
  for (const part of parts) total += part.length;
  if (total <= COPY_LIMIT) {
    socket.write(Buffer.concat(parts, total));
    return;
  }
  socket.cork();
  for (const part of parts) socket.write(part);
  socket.uncork();
}

interface Pending {
  params: Map<string, string>;
  stdin: Buffer[];
}

function answer(socket: Socket, id: number, pending: Pending): void {
  const uri = pending.params.get('REQUEST_URI') ?? '/';
  const method = pending.params.get('REQUEST_METHOD');
  const q = uri.indexOf('?');
  const path = q === -1 ? uri : uri.slice(0, q);
  if (path === '/hello' && method === 'GET') {
    let records = helloCache.get(id);
    if (!records) helloCache.set(id, (records = responseRecords(id, helloHead, Buffer.from(HELLO_BODY))));
    socket.write(records);
  } else if (path === '/echo' && method === 'POST') {
    const body = pending.stdin.length === 1 ? pending.stdin[0]! : Buffer.concat(pending.stdin);
    writeParts(socket, responseParts(id, binaryHead(body.length), body));
  } else if (path === '/bytes' && method === 'GET') {
    const body = bytesBody(q === -1 ? '' : uri.slice(q + 1));
    if (body) writeParts(socket, responseParts(id, binaryHead(body.length), body));
    else socket.write(notFound(id));
  } else {
    socket.write(notFound(id));
  }
}

const server = createServer((socket) => {
  let rest: Buffer = Buffer.alloc(0);
  const requests = new Map<number, Pending>();
  socket.on('data', (chunk: Buffer) => {
    rest = forEachRecord(rest.length === 0 ? chunk : Buffer.concat([rest, chunk]), (type, id, content) => {
      if (type === RecordType.BeginRequest) {
        requests.set(id, { params: new Map(), stdin: [] });
        return;
      }
      const pending = requests.get(id);
      if (!pending) return;
      if (type === RecordType.Params && content.length > 0) decodePairs(content, pending.params);
      // Node hands every read a fresh buffer, so a view into it stays valid: no copy needed.
      else if (type === RecordType.Stdin && content.length > 0) pending.stdin.push(content);
      else if (type === RecordType.Stdin) {
        requests.delete(id);
        answer(socket, id, pending);
      }
    });
  });
  socket.on('error', () => socket.destroy());
});
server.listen(backendSocketPath());
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
