import { encodeStreamRecords, RecordType } from '@fcgi/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient, readStderr } from '../src/index';
import { multiplexingValues } from './helpers/multiplexing-server';
import { type RawRequest, type RawServer, startRawServer } from './helpers/raw-server';

const encoder = new TextEncoder();

interface PlannedResponse {
  body: Uint8Array;
  stderr: string;
  /** Bytes per STDOUT record for this response. */
  recordBytes: number;
}

const responseArb = fc.record({
  body: fc.uint8Array({ maxLength: 4000 }),
  stderr: fc.string({ maxLength: 40 }),
  recordBytes: fc.integer({ min: 1, max: 900 }),
});

/**
 * Every record of one response, in order: STDOUT pieces of `recordBytes` bytes (head included), the
 * STDERR text, then the end of the request.
 */
function responseRecords(request: RawRequest, planned: PlannedResponse): Uint8Array[][] {
  const id = request.requestId;
  const stdout = Buffer.concat([
    encoder.encode('Content-Type: application/octet-stream\r\n\r\n'),
    planned.body,
  ]);
  const records: Uint8Array[][] = [];
  for (let offset = 0; offset < stdout.length; offset += planned.recordBytes) {
    records.push(
      encodeStreamRecords(RecordType.Stdout, id, stdout.subarray(offset, offset + planned.recordBytes)),
    );
  }
  if (planned.stderr)
    records.push(encodeStreamRecords(RecordType.Stderr, id, encoder.encode(planned.stderr)));
  records.push(request.endRecords());
  return records;
}

describe('demultiplexing any interleaving of responses', () => {
  let server: RawServer;
  let plan: PlannedResponse[] = [];
  let picks: number[] = [];
  let arrived: RawRequest[] = [];

  beforeAll(async () => {
    server = await startRawServer(
      (request) => {
        arrived.push(request);
        if (arrived.length < plan.length) return;
        // Every request is in: send all responses, records interleaved in the order `picks` chooses.
        const queues = arrived.map((held) =>
          responseRecords(held, plan[Number(held.params.REQUEST_URI?.slice(1))]!),
        );
        arrived = [];
        const out: Uint8Array[] = [];
        let pick = 0;
        for (let live = queues.filter((queue) => queue.length > 0); live.length > 0; ) {
          const queue = live[(picks[pick++ % Math.max(picks.length, 1)] ?? 0) % live.length]!;
          out.push(...queue.shift()!);
          live = live.filter((candidate) => candidate.length > 0);
        }
        request.connection.socket.write(Buffer.concat(out));
      },
      { values: multiplexingValues(100) },
    );
  });

  afterAll(async () => {
    await server?.close();
  });

  test('each request receives exactly its own body and STDERR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(responseArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 50 }),
        async (responses, order) => {
          plan = responses;
          picks = order;
          arrived = [];
          const client = createClient(server.socketPath, { multiplex: true });
          try {
            const results = await Promise.all(
              responses.map(async (_, i) => {
                const response = await client.fetch(`/${i}`);
                return {
                  body: new Uint8Array(await response.arrayBuffer()),
                  stderr: await readStderr(response),
                };
              }),
            );
            results.forEach((result, i) => {
              expect(result.body).toEqual(responses[i]!.body);
              expect(result.stderr).toBe(responses[i]!.stderr);
            });
            expect(server.connections.at(-1)!.maxActive).toBe(responses.length);
          } finally {
            await client.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
