/** A raw TCP HTTP client for the one thing node:http hides: walking away mid-response. */

import { connect } from 'node:net';

/**
 * Sends a GET, reads until `bytes` response bytes have arrived, then destroys the socket. Resolves
 * with the number of bytes received before hanging up.
 */
export function getThenHangUp(port: number, path: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = 0;
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received >= bytes) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`connection closed after ${received} of ${bytes} bytes`)));
  });
}
