import { encodeEndRequest, encodeRecord, RecordType } from '@fcgi/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient, FcgiClientError, FcgiStatusError } from '../src/index';
import { type RawServer, startRawServer } from './helpers/raw-server';

/** Records a backend might send for request 1 (each client connection here carries one request). */
const recordArb = fc.oneof(
  fc
    .record({ type: fc.integer({ min: 0, max: 12 }), content: fc.uint8Array({ maxLength: 64 }) })
    .map(({ type, content }) => encodeRecord(type, 1, content)),
  fc.constantFrom(
    encodeRecord(RecordType.Stdout, 1, new TextEncoder().encode('Status: 200 OK\r\n\r\n')),
    encodeRecord(RecordType.Stdout, 1, new TextEncoder().encode('X: y\r\n')),
    encodeRecord(RecordType.Stdout, 1),
    encodeRecord(RecordType.Stderr, 1, new TextEncoder().encode('warn')),
    encodeEndRequest(1, 0, 0),
    encodeEndRequest(1, 0, 2),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 24 }),
);

describe('whatever a backend sends', () => {
  let server: RawServer;
  let client: FcgiClient;
  let script: Uint8Array[] = [];

  beforeAll(async () => {
    server = await startRawServer((request) => {
      for (const chunk of script) request.connection.socket.write(chunk);
      request.connection.socket.end();
    });
    client = createClient(server.socketPath, { keepConn: false, timeout: 10_000 });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  test('fetch settles with a Response or a typed error, and a body read settles too', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { maxLength: 8 }), async (chunks) => {
        script = chunks;
        const isTyped = (error: unknown) =>
          error instanceof FcgiClientError || error instanceof FcgiStatusError;
        try {
          const response = await client.fetch('/');
          await response.arrayBuffer().catch((error: unknown) => {
            expect(isTyped(error)).toBe(true);
          });
        } catch (error) {
          expect(isTyped(error)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
