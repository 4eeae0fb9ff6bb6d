import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';

const pythonAvailable = spawnSync('python3', ['--version']).status === 0;

/**
 * A TCP listener on 127.0.0.1 that never accepts, with a backlog of one. Node cannot make one (its
 * servers always accept), so a python3 child holds it.
 */
function startNonAcceptingListener(): Promise<{ port: number; child: ChildProcess }> {
  const script = [
    'import socket, sys',
    's = socket.socket()',
    's.bind(("127.0.0.1", 0))',
    's.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (data: Buffer) => resolve({ port: Number(String(data).trim()), child }));
  });
}

let client: FcgiClient | undefined;
let listener: ChildProcess | undefined;
const fillers: Socket[] = [];

afterEach(async () => {
  await client?.close();
  for (const socket of fillers.splice(0)) socket.destroy();
  if (listener && listener.exitCode === null) {
    const exited = new Promise((resolve) => listener!.once('exit', resolve));
    listener.kill();
    await exited;
  }
  client = undefined;
  listener = undefined;
});

describe.skipIf(!pythonAvailable)(
  'connectTimeout (skipped: needs python3 for a listener that never accepts)',
  () => {
    test('a connection that cannot be established in time rejects with a TimeoutError', async () => {
      const started = await startNonAcceptingListener();
      listener = started.child;
      // The first connection fills the accept queue; later SYNs go unanswered.
      const filler = connect(started.port, '127.0.0.1');
      fillers.push(filler);
      await new Promise<void>((resolve, reject) => {
        filler.once('connect', resolve);
        filler.once('error', reject);
      });
      client = createClient(`127.0.0.1:${started.port}`, { connectTimeout: 150 });
      const error = await client.fetch('/').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect((error as Error).message).toContain(`127.0.0.1:${started.port}`);
    });
  },
);
