import { once } from 'node:events';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticFiles } from '../src/gateway/static-files';
import { tempDir } from './helpers';

// A server that answers from the static root first and otherwise says "backend", as the gateway does.
let server: Server;
let base: string;
let dir: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  dir = await tempDir();
  const root = join(dir.path, 'public');
  await mkdir(join(root, 'docs'), { recursive: true });
  await mkdir(join(root, '.git'));
  await writeFile(join(root, 'index.html'), '<h1>home</h1>');
  await writeFile(join(root, 'style.css'), 'body{}');
  await writeFile(join(root, 'app.js'), 'console.log(1)');
  await writeFile(join(root, 'logo.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(join(root, 'data.bin'), 'raw');
  await writeFile(join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  await writeFile(join(root, '.env'), 'SECRET=1');
  await writeFile(join(root, '.git', 'config'), '[core]');
  await writeFile(join(dir.path, 'secret.txt'), 'outside the root');
  await symlink(join(dir.path, 'secret.txt'), join(root, 'link.txt'));
  const serveStatic = createStaticFiles(root);
  server = createServer(async (request, response) => {
    if (!(await serveStatic(request, response))) response.end('backend');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dir.remove();
});

/** A raw GET that sends the path byte for byte (fetch would normalize "..", which is the point here). */
function rawGet(
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}/`, { method, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('static files in front of the backend', () => {
  it('serves a file with its content type and length', async () => {
    const response = await fetch(`${base}/style.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('content-length')).toBe('6');
    expect(await response.text()).toBe('body{}');
  });

  it.each([
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/logo.png', 'image/png'],
    ['/data.bin', 'application/octet-stream'],
  ])('labels %s as %s', async (path, type) => {
    const response = await fetch(`${base}${path}`);
    expect(response.headers.get('content-type')).toBe(type);
    await response.arrayBuffer();
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await rawGet('/style.css', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe('6');
    expect(response.body).toBe('');
  });

  it('serves index.html for a directory URL ending in a slash', async () => {
    expect(await (await fetch(`${base}/`)).text()).toBe('<h1>home</h1>');
    expect(await (await fetch(`${base}/docs/`)).text()).toBe('<h1>docs</h1>');
  });

  it('redirects a directory URL without its trailing slash', async () => {
    const response = await fetch(`${base}/docs?x=1`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/docs/?x=1');
  });

  it('answers 304 when the file has not changed since If-Modified-Since', async () => {
    const first = await fetch(`${base}/style.css`);
    await first.text();
    const second = await fetch(`${base}/style.css`, {
      headers: { 'if-modified-since': first.headers.get('last-modified')! },
    });
    expect(second.status).toBe(304);
  });

  it('leaves a missing file to the backend', async () => {
    expect(await (await fetch(`${base}/api/users`)).text()).toBe('backend');
  });

  it('leaves other methods to the backend', async () => {
    expect(await (await fetch(`${base}/style.css`, { method: 'POST', body: 'x' })).text()).toBe('backend');
  });

  it('never serves hidden files such as .env or .git/config', async () => {
    expect(await (await fetch(`${base}/.env`)).text()).toBe('backend');
    expect(await (await fetch(`${base}/.git/config`)).text()).toBe('backend');
  });

  it('rejects an encoded traversal out of the root with 403', async () => {
    const response = await rawGet('/..%2fsecret.txt');
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('outside the root');
  });

  it('keeps a plain ../ inside the root (the URL parser removes it)', async () => {
    const response = await rawGet('/../../secret.txt');
    expect(response.body).toBe('backend');
  });

  it('rejects a symlink that points outside the root with 403', async () => {
    const response = await rawGet('/link.txt');
    expect(response.status).toBe(403);
  });

  it('leaves an undecodable path to the backend', async () => {
    expect((await rawGet('/%E0%A4%A')).body).toBe('backend');
  });
});
