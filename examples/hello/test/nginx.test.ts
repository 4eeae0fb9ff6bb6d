import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

function hasNginx(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts on the port or socket path (nginx and the app start in their own time). */
async function accepting(where: { port: number; host: string } | { path: string }): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(where);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing accepts on ${JSON.stringify(where)}`);
}

// The nginx.conf shipped with the example, run by a real nginx with only paths and ports changed.
describe.skipIf(!hasNginx())('examples/hello/nginx.conf', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const ports = { unix: 0, tcp: 0, app: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hello-nginx-'));
    ports.unix = await freePort();
    ports.tcp = await freePort();
    ports.app = await freePort();
    const shipped = await readFile(join(exampleDir, 'nginx.conf'), 'utf8');
    await writeFile(
      join(dir, 'hello.conf'),
      shipped
        .replaceAll('/run/hello/hello.sock', join(dir, 'hello.sock'))
        .replaceAll('127.0.0.1:9000', `127.0.0.1:${ports.app}`)
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.unix}`)
        .replaceAll('127.0.0.1:8081', `127.0.0.1:${ports.tcp}`)
        .replaceAll('include fastcgi_params', 'include /etc/nginx/fastcgi_params'),
    );
    const temp = ['client_body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'].map(
      (name) => `${name}_temp_path ${dir};`,
    );
    await writeFile(
      join(dir, 'nginx.conf'),
      `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
${process.getuid?.() === 0 ? 'user root;' : ''}
events {}
http { access_log off; ${temp.join(' ')} include ${dir}/hello.conf; }
`,
    );
    const env = { ...process.env, FCGI_SOCKET: '', FCGI_PORT: '' };
    children.push(
      spawn('node', ['dist/start.js'], {
        cwd: exampleDir,
        env: { ...env, FCGI_SOCKET: join(dir, 'hello.sock') },
      }),
      spawn('node', ['dist/start.js'], { cwd: exampleDir, env: { ...env, FCGI_PORT: String(ports.app) } }),
      spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' }),
    );
    const host = '127.0.0.1';
    await Promise.all([
      accepting({ path: join(dir, 'hello.sock') }),
      accepting({ port: ports.app, host }),
      accepting({ port: ports.unix, host }),
      accepting({ port: ports.tcp, host }),
    ]);
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('reaches the app over the unix socket', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.unix}/`);
    expect(await response.text()).toBe('Hello, World!');
  });

  it('reaches the app over TCP, with a POSTed form', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.tcp}/greet`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'nginx' }),
    });
    expect(await response.text()).toBe('Hello, nginx! (from a POST)');
  });

  it('passes the client address and the CGI params through', async () => {
    const body = await (await fetch(`http://127.0.0.1:${ports.unix}/params?x=1`)).json();
    expect(body.remoteAddress).toBe('127.0.0.1');
    expect(body.params).toMatchObject({
      REQUEST_URI: '/params?x=1',
      QUERY_STRING: 'x=1',
      REQUEST_METHOD: 'GET',
    });
  });
});
