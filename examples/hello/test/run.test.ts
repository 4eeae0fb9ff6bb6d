import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@fcgi/client';
import { afterEach, describe, expect, it } from 'vitest';

// Each test starts node processes: allow for a loaded 2-core machine.
const PROCESS_TEST_TIMEOUT_MS = 60_000;

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const running: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      // Each child leads its own process group (pnpm → sh → node): stop the whole group.
      process.kill(-child.pid!, 'SIGKILL');
      await once(child, 'exit');
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Starts a command in its own process group and resolves with the first stdout match of `pattern`. */
function startAndWaitFor(command: string, args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, {
    cwd: exampleDir,
    env: { ...process.env, FCGI_SOCKET: '', FCGI_PORT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.push(child);
  let output = '';
  const match = new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = output.match(pattern);
      if (found) resolve(found);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output}`)));
  });
  return { child, match };
}

describe('running the hello example', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('pnpm dev prints a loopback URL that answers Hello, World!', async () => {
    const { child, match } = startAndWaitFor(
      'pnpm',
      ['run', '--silent', 'dev'],
      /^hello: (http:\/\/127\.0\.0\.1:\d+\/)$/m,
    );
    const [, url] = await match;
    const response = await fetch(url!);
    expect(await response.text()).toBe('Hello, World!');
    process.kill(-child.pid!, 'SIGTERM');
    await once(child, 'exit');
  });

  it('pnpm start serves FastCGI on FCGI_SOCKET', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hello-example-'));
    dirs.push(dir);
    const socket = join(dir, 'hello.sock');
    const { match } = startAndWaitFor('node', ['dist/start.js'], /FastCGI on unix:/, { FCGI_SOCKET: socket });
    await match;
    const client = createClient(`unix:${socket}`);
    try {
      const response = await client.fetch('/greet?name=FastCGI');
      expect(await response.text()).toBe('Hello, FastCGI!');
    } finally {
      await client.close();
    }
  });

  it('pnpm start serves FastCGI on FCGI_PORT', async () => {
    // Port 0: the responder picks a free port and the start script prints it.
    const { match } = startAndWaitFor('node', ['dist/start.js'], /FastCGI on (127\.0\.0\.1:\d+)/, {
      FCGI_PORT: '0',
    });
    const [, target] = await match;
    const client = createClient(target!);
    try {
      expect(await (await client.fetch('/')).text()).toBe('Hello, World!');
    } finally {
      await client.close();
    }
  });
});
