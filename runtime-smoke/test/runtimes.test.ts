// Bun and Deno run the responder too: the hello example (its built dist/start.js, exactly what `pnpm
// start` runs) on a unix socket and on TCP, a 1 MiB POST, a graceful SIGTERM, and a handler that
// re-creates the Request. What these runtimes cannot do (Bun: listen on an inherited fd; Deno: take
// LISTEN_FDS) is listed in the README's runtime table instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@fcgi/client';
import { afterEach, describe, expect, test } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const helloDir = join(repo, 'examples/hello');
const copyApp = fileURLToPath(new URL('../fixtures/copy-app.mjs', import.meta.url));

interface Runtime {
  name: string;
  binary: string;
  /** The command line that runs `script`, given the directory it may write its socket into. */
  args(script: string, socketDir: string): string[];
}

const runtimes: Runtime[] = [
  { name: 'bun', binary: join(repo, '.runtimes/bun/bin/bun'), args: (script) => [script] },
  {
    name: 'deno',
    binary: join(repo, '.runtimes/deno/bin/deno'),
    args: (script, socketDir) => [
      'run',
      '--allow-env',
      '--allow-read',
      `--allow-write=${socketDir}`,
      '--allow-net',
      script,
    ],
  },
];

interface Running {
  target: string;
  exited: Promise<number | null>;
  process: ChildProcess;
  output: () => string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `script` on `runtime`, listening on a unix socket or a TCP port, and waits until it says so. */
async function start(runtime: Runtime, script: string, transport: 'unix' | 'tcp'): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), `fcgi-${runtime.name}-`));
  const socketPath = join(dir, 'app.sock');
  const port = transport === 'tcp' ? await freePort() : undefined;
  const child = spawn(runtime.binary, runtime.args(script, dir), {
    cwd: helloDir,
    env: {
      ...process.env,
      FCGI_SOCKET: transport === 'unix' ? socketPath : '',
      FCGI_PORT: port === undefined ? '' : String(port),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (text: string) => {
    output += text;
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 20_000;
  while (!output.includes('FastCGI on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${runtime.name} ${script} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const target = transport === 'unix' ? socketPath : `127.0.0.1:${port}`;
  return { target, exited, process: child, output: () => output };
}

describe.each(runtimes)('on $name', (runtime) => {
  test('the runtime is installed by scripts/install-runtimes.sh', () => {
    expect(existsSync(runtime.binary)).toBe(true);
  });

  describe.each(['unix', 'tcp'] as const)('the hello example over %s', (transport) => {
    test('answers a GET', async () => {
      const app = await start(runtime, 'dist/start.js', transport);
      const client = createClient(app.target);
      try {
        const response = await client.fetch('/greet?name=Ada');
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('Hello, Ada!');
      } finally {
        await client.close();
      }
    });

    test('reads a 1 MiB POST body', async () => {
      const app = await start(runtime, 'dist/start.js', transport);
      const client = createClient(app.target);
      const body = `name=Grace&padding=${'x'.repeat(1024 * 1024)}`;
      try {
        const response = await client.fetch('/greet', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        expect(await response.text()).toBe('Hello, Grace! (from a POST)');
      } finally {
        await client.close();
      }
    });

    test('stops on SIGTERM with exit code 0, removing its socket', async () => {
      const app = await start(runtime, 'dist/start.js', transport);
      app.process.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      if (transport === 'unix') expect(existsSync(app.target)).toBe(false);
    });
  });

  test('a handler can serve new Request(request) (re-created, as middlewares do)', async () => {
    const app = await start(runtime, copyApp, 'unix');
    const client = createClient(app.target);
    try {
      const response = await client.fetch('/greet', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Linus',
      });
      expect(await response.text()).toBe('Hello, Linus! (from a POST)');
    } finally {
      await client.close();
    }
  });
});
