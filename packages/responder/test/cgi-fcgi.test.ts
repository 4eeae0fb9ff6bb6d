// libfcgi's cgi-fcgi as an outside client: its environment becomes the params, stdin the body, and
// it prints the raw CGI output. A client we did not write catches wire mistakes ours would share.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RequestInfo, type ServeResult, serve } from '../src/index';
import { tempDir } from './helpers/temp';

const dir = tempDir();
let server: ServeResult;
let tcp: ServeResult;

const handler = async (request: Request, info: RequestInfo) => {
  const path = new URL(request.url).pathname;
  if (path === '/hello') return new Response('Hello, World!', { headers: { 'content-type': 'text/plain' } });
  if (path === '/echo') return new Response(request.body);
  const body = await request.text();
  return new Response(
    JSON.stringify({ method: request.method, url: request.url, body, addr: info.remoteAddress }),
    {
      status: 201,
      headers: [
        ['content-type', 'application/json'],
        ['set-cookie', 'a=1; Path=/'],
        ['set-cookie', 'b=2; Path=/; HttpOnly'],
      ],
    },
  );
};

beforeAll(async () => {
  server = await serve(handler, { socketPath: dir.socket() });
  tcp = await serve(handler, { port: 0 });
});
afterAll(async () => {
  await Promise.all([server.close(), tcp.close()]);
  dir.remove();
});

/** Runs cgi-fcgi once; libfcgi's header-split bug (interop/README.md, "cgi-fcgi's parser bug") exits 253/254, so retry that once. */
async function cgiFcgi(
  env: Record<string, string>,
  stdin: string | Buffer,
  target = dir.socket(),
): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    const { code, output } = await new Promise<{ code: number | null; output: Buffer }>((resolve, reject) => {
      const child = spawn('cgi-fcgi', ['-bind', '-connect', target], { env });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, output: Buffer.concat(chunks) }));
      child.stdin.end(stdin);
    });
    if ((code === 253 || code === 254) && attempt === 0) continue;
    expect(code).toBe(0);
    return output;
  }
}

function split(output: Buffer): { lines: string[]; body: Buffer } {
  const end = output.indexOf('\r\n\r\n');
  return { lines: output.subarray(0, end).toString('latin1').split('\r\n'), body: output.subarray(end + 4) };
}

describe('cgi-fcgi (libfcgi) as the client', () => {
  test('gets the status, both cookies on their own lines, Status last, and the body', async () => {
    const output = await cgiFcgi(
      {
        REQUEST_METHOD: 'POST',
        REQUEST_URI: '/submit?x=1',
        QUERY_STRING: 'x=1',
        HTTP_HOST: '127.0.0.1',
        REMOTE_ADDR: '203.0.113.9',
        CONTENT_TYPE: 'text/plain',
        CONTENT_LENGTH: '5',
      },
      'hello',
    );
    const { lines, body } = split(output);
    expect(lines.at(-1)).toBe('Status: 201 Created');
    expect(lines.filter((line) => line.startsWith('set-cookie:'))).toEqual([
      'set-cookie: a=1; Path=/',
      'set-cookie: b=2; Path=/; HttpOnly',
    ]);
    expect(JSON.parse(body.toString())).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1/submit?x=1',
      body: 'hello',
      addr: '203.0.113.9',
    });
  });

  test('HEAD gets the GET headers (Content-Length included) and not a single body byte', async () => {
    const output = await cgiFcgi(
      { REQUEST_METHOD: 'HEAD', REQUEST_URI: '/hello', HTTP_HOST: '127.0.0.1' },
      '',
    );
    const { lines, body } = split(output);
    expect(lines).toContain('Content-Length: 13');
    expect(lines.at(-1)).toBe('Status: 200 OK');
    expect(body.length).toBe(0);
  });

  test('a 300 KB body is echoed byte for byte over TCP', async () => {
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const address = tcp.address as { port: number };
    const output = await cgiFcgi(
      {
        REQUEST_METHOD: 'POST',
        REQUEST_URI: '/echo',
        HTTP_HOST: '127.0.0.1',
        CONTENT_LENGTH: String(payload.length),
      },
      payload,
      `127.0.0.1:${address.port}`,
    );
    expect(split(output).body.equals(payload)).toBe(true);
  });
});
