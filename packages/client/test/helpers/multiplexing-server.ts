import { encodeStreamRecords, RecordType } from '@fcgi/protocol';
import { type RawConnection, type RawRequest, type RawServer, startRawServer } from './raw-server';

const encoder = new TextEncoder();

/** A GET_VALUES answer saying the backend multiplexes, with FCGI_MAX_REQS (and FCGI_MAX_CONNS). */
export function multiplexingValues(maxReqs: number, maxConns = 8): Record<string, string> {
  return {
    FCGI_MPXS_CONNS: '1',
    FCGI_MAX_REQS: String(maxReqs),
    FCGI_MAX_CONNS: String(maxConns),
  };
}

/** What the multiplexing server answers: the request URI, a space, and the request body. */
export function expectedBody(uri: string, body = ''): string {
  return `${uri} ${body}`;
}

export interface MultiplexingServerOptions {
  /** FCGI_MAX_REQS to advertise. Default 1000. */
  maxReqs?: number;
  /** Bytes of response per STDOUT record: small, so that records of different ids interleave. */
  recordBytes?: number;
}

/**
 * The records answering `requests`: newest first, each response cut into `recordBytes`-byte STDOUT
 * records sent round-robin across the requests, then their END_REQUESTs, newest first again.
 */
function interleavedAnswers(
  requests: readonly RawRequest[],
  recordBytes: number,
  stdoutRecordIds: number[],
): Uint8Array[] {
  const streams = [...requests].reverse().map((request) => ({
    request,
    offset: 0,
    bytes: encoder.encode(
      `Content-Type: text/plain\r\nX-Request-Id: ${request.requestId}\r\n\r\n` +
        expectedBody(request.params.REQUEST_URI ?? '', new TextDecoder().decode(request.stdin)),
    ),
  }));
  const records: Uint8Array[] = [];
  let remaining = streams.length;
  while (remaining > 0) {
    remaining = 0;
    for (const stream of streams) {
      if (stream.offset >= stream.bytes.length) continue;
      const piece = stream.bytes.subarray(stream.offset, stream.offset + recordBytes);
      stream.offset += piece.length;
      records.push(...encodeStreamRecords(RecordType.Stdout, stream.request.requestId, piece));
      stdoutRecordIds.push(stream.request.requestId);
      if (stream.offset < stream.bytes.length) remaining++;
    }
  }
  for (const { request } of streams) records.push(...request.endRecords());
  return records;
}

/**
 * A backend that multiplexes, built from @fcgi/protocol records: it answers FCGI_MPXS_CONNS=1 and
 * FCGI_MAX_REQS, gathers the requests whose STDIN has ended until the next turn of the event loop, and
 * answers them together out of order with their STDOUT records interleaved, in one write.
 */
export async function startMultiplexingServer(
  options: MultiplexingServerOptions = {},
): Promise<RawServer & { readonly stdoutRecordIds: readonly number[] }> {
  const recordBytes = options.recordBytes ?? 5;
  /** The request id of every STDOUT record sent, in order. */
  const stdoutRecordIds: number[] = [];
  const pending = new Map<RawConnection, RawRequest[]>();
  const flush = (connection: RawConnection) => {
    const requests = pending.get(connection) ?? [];
    pending.delete(connection);
    if (connection.socket.destroyed) return;
    connection.socket.write(Buffer.concat(interleavedAnswers(requests, recordBytes, stdoutRecordIds)));
  };
  const server = await startRawServer(
    async (request) => {
      await request.stdinEnded;
      let batch = pending.get(request.connection);
      if (!batch) {
        batch = [];
        pending.set(request.connection, batch);
        setImmediate(() => flush(request.connection));
      }
      batch.push(request);
    },
    { values: multiplexingValues(options.maxReqs ?? 1000) },
  );
  return Object.assign(server, { stdoutRecordIds });
}
