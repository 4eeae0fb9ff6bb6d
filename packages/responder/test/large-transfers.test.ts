// 1 GiB through the responder in each direction, in a separate process whose RSS is sampled while the
// bytes flow: neither the body of an upload nor of a download may be held in memory.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  decodeEndRequestBody,
  encodeStreamEnd,
  encodeStreamRecords,
  parseResponseHead,
  RecordDecoder,
  RecordType,
} from '@fcgi/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Child, childServerScript, removeChildScripts, startChild } from './helpers/child';
import { fcgiRequest, params, requestRecords } from './helpers/fcgi-client';
import { tempDir } from './helpers/temp';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
// The bound is what the responder holds (a few 64 KiB socket reads in flight) plus garbage the young
// generation has not collected yet. V8 in Node 24 and later lets the young generation grow larger
// before scavenging: the same upload peaks about 30 MiB higher there, and drops back to Node 20's figure
// with --max-semi-space-size=4. The growth does not depend on the body's size either way.
const MAX_RSS_GROWTH = (Number(process.versions.node.split('.')[0]) >= 24 ? 112 : 64) * MiB;
const dir = tempDir();
const socketPath = dir.socket();
let child: Child;

beforeAll(async () => {
  child = await startChild(process.execPath, [await childServerScript()], {
    env: { CHILD_MODE: 'socket', CHILD_SOCKET: socketPath },
  });
}, 60_000);
afterAll(async () => {
  await child?.stop();
  removeChildScripts();
  dir.remove();
});

async function childJson(path: string): Promise<Record<string, number>> {
  const result = await fcgiRequest(socketPath, { params: params('GET', path) });
  return JSON.parse(result.body.toString());
}

/** Sends one request and consumes the response without keeping it: counts body bytes only. */
function streamRequest(
  records: Uint8Array[],
  upload?: { bytes: number },
): Promise<{ status: number; bodyBytes: number; appStatus: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ path: socketPath });
    const decoder = new RecordDecoder();
    let headBytes: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    let bodyBytes = 0;
    let head = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const record of decoder.push(chunk)) {
        if (record.type === RecordType.Stdout && record.content.length > 0) {
          if (headBytes) {
            headBytes = Buffer.concat([headBytes, record.content]);
            const parsed = parseResponseHead(headBytes);
            if (parsed) {
              status = parsed.head.status;
              head = headBytes.subarray(0, parsed.bodyOffset).toString('latin1');
              bodyBytes += headBytes.length - parsed.bodyOffset;
              headBytes = undefined;
            }
          } else {
            bodyBytes += record.content.length;
          }
        }
        if (record.type === RecordType.EndRequest) {
          socket.destroy();
          resolve({ status, bodyBytes, head, appStatus: decodeEndRequestBody(record.content).appStatus });
        }
      }
    });
    socket.once('connect', async () => {
      for (const part of records) socket.write(part);
      if (!upload) return;
      const chunk = Buffer.alloc(65_535, 0x5a);
      let sent = 0;
      while (sent < upload.bytes) {
        const size = Math.min(chunk.length, upload.bytes - sent);
        sent += size;
        const ok = socket.write(
          Buffer.concat(encodeStreamRecords(RecordType.Stdin, 1, chunk.subarray(0, size))),
        );
        if (!ok) await once(socket, 'drain');
      }
      socket.write(encodeStreamEnd(RecordType.Stdin, 1));
    });
  });
}

describe('1 GiB transfers stay within a bounded RSS growth (64 MiB; 112 MiB on Node 24+)', () => {
  test('upload: a 1 GiB body streamed through request.body', async () => {
    const { rss: baseline } = await childJson('/rss/reset');
    const result = await streamRequest(
      requestRecords({ params: params('POST', '/upload', { CONTENT_LENGTH: String(GiB) }), openStdin: true }),
      { bytes: GiB },
    );
    expect(result.status).toBe(200);
    const { peakRss } = await childJson('/rss');
    const growth = peakRss! - baseline!;
    console.log(`1 GiB upload: responder RSS growth ${(growth / 1024 / 1024).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
  }, 180_000);

  test('download: a 1 GiB streamed response body', async () => {
    const { rss: baseline } = await childJson('/rss/reset');
    const result = await streamRequest(requestRecords({ params: params('GET', `/bytes?n=${GiB}`) }));
    expect(result.status).toBe(200);
    expect(result.bodyBytes).toBe(GiB);
    expect(result.appStatus).toBe(0);
    const { peakRss } = await childJson('/rss');
    const growth = peakRss! - baseline!;
    console.log(`1 GiB download: responder RSS growth ${(growth / 1024 / 1024).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
  }, 180_000);
});
