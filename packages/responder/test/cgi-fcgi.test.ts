// libfcgi's cgi-fcgi as an outside client: its environment becomes the params, stdin the body, and
// it prints the raw CGI output. A client we did not write catches wire mistakes ours would share.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ServeResult, serve } from '../src/index';
import { tempDir } from './helpers/temp';

const dir = tempDir();
let server: ServeResult;

beforeAll(async () => {
  server = await serve(
    async (request, info) => {
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
    },
    { socketPath: dir.socket() },
  );
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

/** Runs cgi-fcgi once; libfcgi's header-split bug (WEBSERVERS.md 13) exits 253/254, so retry that once. */
async function cgiFcgi(env: Record<string, string>, stdin: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('cgi-fcgi', ['-bind', '-connect', dir.socket()], { env });
      let output = '';
      child.stdout.setEncoding('latin1').on('data', (text: string) => (output += text));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, output }));
      child.stdin.end(stdin);
    });
    if ((code === 253 || code === 254) && attempt === 0) continue;
    expect(code).toBe(0);
    return output;
  }
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
    const [head = '', body = ''] = output.split('\r\n\r\n');
    const lines = head.split('\r\n');
    expect(lines.at(-1)).toBe('Status: 201 Created');
    expect(lines.filter((line) => line.startsWith('set-cookie:'))).toEqual([
      'set-cookie: a=1; Path=/',
      'set-cookie: b=2; Path=/; HttpOnly',
    ]);
    expect(JSON.parse(body)).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1/submit?x=1',
      body: 'hello',
      addr: '203.0.113.9',
    });
  });
});
