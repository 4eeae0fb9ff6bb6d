import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Connection, connectSocket, type RecordSink } from '../src/connection';
import type { FcgiTarget } from '../src/target';

/** A request stand-in whose reader is behind (wantsData false) or not. */
function sink(wantsData: boolean): RecordSink & { wantsData: boolean } {
  return { wantsData, onRecord() {}, onConnectionLost() {} };
}

let dir: string;
let listener: Server;
let socket: Socket;
let connection: Connection;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fcgi-client-flow-'));
  const target: FcgiTarget = { kind: 'unix', path: join(dir, 'backend.sock') };
  listener = createServer(() => {});
  await new Promise<void>((resolve) => listener.listen(target.path, resolve));
  socket = await connectSocket(target);
  connection = new Connection(socket, target);
});

afterEach(async () => {
  connection.destroy();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('reading a connection shared by several requests', () => {
  test('the socket is paused only once every request on it is behind', () => {
    const slow = sink(false);
    const eager = sink(true);
    connection.attach(1, slow);
    connection.attach(2, eager);
    connection.updateFlow();
    expect(socket.isPaused()).toBe(false);
    eager.wantsData = false;
    connection.updateFlow();
    expect(socket.isPaused()).toBe(true);
  });

  test('a request attached to a connection paused for a slow reader resumes reading', () => {
    connection.attach(1, sink(false));
    connection.updateFlow();
    expect(socket.isPaused()).toBe(true);
    connection.attach(2, sink(true));
    expect(socket.isPaused()).toBe(false);
  });

  test('when the one request that wanted bytes ends, the socket pauses for the slow one left', () => {
    const eager = sink(true);
    connection.attach(1, sink(false));
    connection.attach(2, eager);
    connection.detach(2, eager, true);
    expect(socket.isPaused()).toBe(true);
  });

  test('multiplexed request ids start at 1 and a freed id is handed out again', () => {
    const first = connection.allocateRequestId();
    const second = connection.allocateRequestId();
    expect([first, second]).toEqual([1, 2]);
    const request = sink(true);
    connection.attach(first, request);
    connection.detach(first, request, true);
    expect(connection.allocateRequestId()).toBe(first);
    expect(connection.allocateRequestId()).toBe(3);
  });
});
