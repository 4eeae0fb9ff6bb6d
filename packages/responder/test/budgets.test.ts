// maxConnectionBytes: what the responder holds for one connection — unread bodies and params of all
// its request ids, and the output queued for the peer — has one bound. Input over it sheds the request
// holding the most (503) when others share the connection; output over it stops reading until the peer
// takes what is queued.

import { Duplex } from 'node:stream';
import { encodeBeginRequest, encodeHeader, RecordType, Role } from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { serveConnection } from '../src/index';
import { type FcgiResult, params, type RawClient, toResult } from './helpers/fcgi-client';
import { nextEvent, useServers } from './helpers/server';

const servers = useServers();
const KiB = 1024;

/** A handler that never reads its body and answers only once its request is aborted. */
async function neverReads(_request: Request, info: { signal: AbortSignal }): Promise<Response> {
  await nextEvent(info.signal);
  return new Response('aborted');
}

/** Waits until `count` requests have ended on `client`, and returns their results. */
async function endedRequests(client: RawClient, count: number): Promise<FcgiResult[]> {
  const isEnd = (type: number) => type === RecordType.EndRequest;
  await client.waitFor((records) => records.filter((record) => isEnd(record.type)).length >= count);
  const ended = client.records.filter((record) => isEnd(record.type)).map((record) => record.requestId);
  return ended.map((id) => toResult(client.records.filter((record) => record.requestId === id)));
}

/** `count` empty management records of a type nobody defines, each answered with FCGI_UNKNOWN_TYPE. */
function unknownTypeRecords(count: number): Buffer {
  const records = Buffer.alloc(count * 8);
  for (let offset = 0; offset < records.length; offset += 8) records.set([1, 99, 0, 0, 0, 0, 0, 0], offset);
  return records;
}

/** Resolves once `read()` has returned the same value `times` times in a row, `everyMs` apart. */
async function settled(read: () => number, times = 5, everyMs = 100): Promise<number> {
  let last = read();
  let same = 0;
  while (same < times) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('unread bodies across the request ids of one connection', () => {
  test('ids that each stay under maxBufferedBytes but together pass maxConnectionBytes are shed with 503', async () => {
    const { path } = await servers.start(neverReads, {
      maxBufferedBytes: 128 * KiB,
      maxConnectionBytes: 256 * KiB,
    });
    const client = await servers.connect(path);
    const ids = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const id of ids) client.begin({ id, keepConn: true, params: params('POST', '/'), openStdin: true });
    // 100 KiB unread for each id: under the per-request limit, 800 KiB for the connection.
    for (const id of ids) client.sendStdin(id, Buffer.alloc(100 * KiB));
    // 800 KiB against 256 KiB: at least six of the eight have to go, whichever they are.
    const answers = await endedRequests(client, 6);
    for (const answer of answers) expect(answer.status).toBe(503);
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'RequestLimitError', code: 'CONNECTION_BACKLOG', limit: 256 * KiB }),
    );
    expect(client.isOpen).toBe(true);
  });

  test('a request alone on its connection is paused at the budget, not shed', async () => {
    const { path } = await servers.start(
      async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return new Response(String((await request.arrayBuffer()).byteLength));
      },
      { maxBufferedBytes: 1024 * KiB, maxConnectionBytes: 128 * KiB },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/'), body: Buffer.alloc(1024 * KiB) });
    const result = await client.response(1);
    expect(result.body.toString()).toBe(String(1024 * KiB));
  });
});

describe('request heads across the request ids of one connection', () => {
  test('PARAMS that never end, on many ids, are shed once they pass maxConnectionBytes', async () => {
    const { path } = await servers.start(() => new Response('never'), { maxConnectionBytes: 128 * KiB });
    const client = await servers.connect(path);
    const ids = Array.from({ length: 10 }, (_, index) => index + 1);
    for (const id of ids) {
      // 40 KB of one long header value, and no empty PARAMS record to end the stream.
      const value = Buffer.alloc(40_000, 0x61);
      const pair = Buffer.concat([Buffer.from([11, 0x80, 0, 0x9c, 0x40]), Buffer.from('HTTP_FILLER'), value]);
      client.write([
        encodeBeginRequest(id, Role.Responder, 1),
        encodeHeader(RecordType.Params, id, pair.length),
        pair,
      ]);
    }
    const answers = await endedRequests(client, 6);
    for (const answer of answers) expect(answer.status).toBe(503);
    expect(servers.errors).toContainEqual(expect.objectContaining({ code: 'CONNECTION_BACKLOG' }));
  });
});

describe('output queued for a peer that does not read', () => {
  test('the answers to the management records of one read go out in one socket write', async () => {
    // 1,000 unknown-type records in one chunk: their 1,000 FCGI_UNKNOWN_TYPE answers are one write.
    const peer = new OneChunkPeer(unknownTypeRecords(1000));
    const served = serveConnection(peer, () => new Response('ok'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.writes).toEqual([1000 * 16]);
    served.destroy();
  });

  test('a read whose answers pass 16 KiB sends them in runs of 16 KiB, not one write per record', async () => {
    const peer = new OneChunkPeer(unknownTypeRecords(4000));
    const served = serveConnection(peer, () => new Response('ok'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.writes).toEqual([16 * KiB, 16 * KiB, 16 * KiB, 4000 * 16 - 48 * KiB]);
    served.destroy();
  });

  test('a body piece that is a small part of a large read does not keep that read alive', async () => {
    const kept: Uint8Array[] = [];
    const { path } = await servers.start(async (request) => {
      const reader = (request.body as ReadableStream<Uint8Array>).getReader();
      const { value } = await reader.read();
      if (value) kept.push(value);
      return new Response('read one piece');
    });
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/'), openStdin: true });
    // One byte of body and, in the same write, 64 KiB of STDIN for an id that is not active.
    client.write([
      encodeHeader(RecordType.Stdin, 1, 1),
      Buffer.from('x'),
      encodeHeader(RecordType.Stdin, 9, 65_000),
      Buffer.alloc(65_000),
    ]);
    await client.response(1);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.buffer.byteLength).toBeLessThan(16 * KiB);
  });

  test('a management-record flood from a peer that never reads stops being read', async () => {
    // 500,000 empty records (4 MB) of an unknown type, each answered with a 16-byte FCGI_UNKNOWN_TYPE.
    const flood = unknownTypeRecords(500_000);
    const peer = new NeverReadingPeer(flood);
    const served = serveConnection(peer, () => new Response('ok'), { maxConnectionBytes: 64 * KiB });
    // The responder stops reading once its answers back up, so most of the flood is never taken.
    const taken = await settled(() => peer.taken);
    expect(taken).toBeLessThan(flood.length / 4);
    expect(peer.queued).toBeLessThan(flood.length / 4);
    served.destroy();
  });

  test('requests from a peer that never reads the answers stop being read too', async () => {
    const request = Buffer.concat([
      encodeBeginRequest(1, Role.Responder, 1),
      encodeHeader(RecordType.Params, 1, 0),
      encodeHeader(RecordType.Stdin, 1, 0),
    ]);
    // 50,000 requests (2 MB) in a row, each answered with 1 KiB that nobody reads.
    const all = Buffer.concat(Array.from({ length: 50_000 }, () => request));
    const peer = new NeverReadingPeer(all);
    const served = serveConnection(peer, () => new Response(new Uint8Array(KiB)), {
      maxConnectionBytes: 64 * KiB,
    });
    const taken = await settled(() => peer.taken);
    expect(taken).toBeLessThan(all.length / 4);
    expect(peer.queued).toBeLessThan(512 * KiB);
    served.destroy();
  });
});

/** A peer whose whole input arrives in one chunk; it records the size of each write it is given. */
class OneChunkPeer extends Duplex {
  readonly writes: number[] = [];
  private input: Buffer | undefined;

  constructor(input: Buffer) {
    super();
    this.input = input;
  }

  override _read(): void {
    if (this.input) this.push(this.input);
    this.input = undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.writes.push(chunk.length);
    done();
  }
}

/**
 * A web server that sends `input` as fast as it is taken and never reads what it is sent: nothing
 * written to it ever completes. `taken` counts the input the responder pulled, `queued` the output
 * it handed over.
 */
class NeverReadingPeer extends Duplex {
  taken = 0;
  queued = 0;

  constructor(private readonly input: Buffer) {
    super({ readableHighWaterMark: 8 * KiB });
  }

  override _read(): void {
    if (this.taken >= this.input.length) return;
    const piece = this.input.subarray(this.taken, this.taken + 8 * KiB);
    this.taken += piece.length;
    this.push(piece);
  }

  override _write(chunk: Buffer): void {
    this.queued += chunk.length;
  }
}
