import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';
import { type PhpFpm, phpFpmAvailable, startPhpFpm } from './helpers/php-fpm';

const scripts = {
  'hello.php': `<?php
header('Content-Type: text/plain');
echo 'Hello from PHP ', $_SERVER['REQUEST_METHOD'], ' ', $_GET['name'] ?? 'nobody';
`,
  'echo.php': `<?php
header('Content-Type: application/octet-stream');
header('X-Body-Sha256: ' . hash_file('sha256', 'php://input'));
$in = fopen('php://input', 'rb');
$out = fopen('php://output', 'wb');
stream_copy_to_stream($in, $out);
`,
  'server.php': `<?php
header('Content-Type: application/json');
echo json_encode($_SERVER);
`,
  'status.php': `<?php
http_response_code((int) ($_GET['code'] ?? 200));
echo 'status page';
`,
  'cookies.php': `<?php
setcookie('first', 'one');
setcookie('second', 'two', ['path' => '/app', 'httponly' => true]);
header('Set-Cookie: third=three', false);
echo 'cookies set';
`,
  'log.php': `<?php
error_log('something went wrong in log.php');
echo 'logged';
`,
  'slow.php': `<?php
header('Content-Type: text/plain');
echo "started\n";
flush();
usleep(300000);
echo "finished\n";
`,
  'form.php': `<?php
header('Content-Type: application/json');
echo json_encode($_POST);
`,
};

describe.skipIf(!phpFpmAvailable)(
  'against a real php-fpm (skipped: /usr/sbin/php-fpm8.2 is not installed)',
  () => {
    let fpm: PhpFpm;
    let client: FcgiClient;
    const stderr: string[] = [];

    beforeAll(async () => {
      fpm = await startPhpFpm(scripts);
      client = createClient(`unix:${fpm.socketPath}`, {
        documentRoot: fpm.root,
        onStderr: (text) => stderr.push(text),
      });
    });

    afterAll(async () => {
      await client?.close();
      await fpm?.stop();
    });

    test('GET runs the script named by DOCUMENT_ROOT + path', async () => {
      const response = await client.fetch('/hello.php?name=fcgi');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
      expect(await response.text()).toBe('Hello from PHP GET fcgi');
    });

    test('POST of a 10 MiB body is echoed back byte for byte', async () => {
      const body = new Uint8Array(10 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 131 + (i >>> 12)) & 0xff;
      const expected = createHash('sha256').update(body).digest('hex');
      const response = await client.fetch('/echo.php', {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expect(response.headers.get('x-body-sha256')).toBe(expected);
      const echoed = new Uint8Array(await response.arrayBuffer());
      expect(echoed.length).toBe(body.length);
      expect(createHash('sha256').update(echoed).digest('hex')).toBe(expected);
    });

    test('a streamed POST body with Content-Length reaches PHP', async () => {
      const parts = ['part one, ', 'part two'].map((text) => new TextEncoder().encode(text));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      const response = await client.fetch('/echo.php', {
        method: 'POST',
        body: stream,
        headers: { 'Content-Length': '18' },
      });
      expect(await response.text()).toBe('part one, part two');
    });

    test('a streamed body without Content-Length reaches PHP when bufferRequestBody is set', async () => {
      const buffering = createClient(fpm.socketPath, { documentRoot: fpm.root, bufferRequestBody: 1 << 20 });
      try {
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('no length '));
            controller.enqueue(new TextEncoder().encode('given'));
            controller.close();
          },
        });
        const response = await buffering.fetch('/echo.php', { method: 'POST', body: stream });
        expect(await response.text()).toBe('no length given');
      } finally {
        await buffering.close();
      }
    });

    test('request headers and CGI params reach PHP as $_SERVER', async () => {
      const response = await client.fetch('https://shop.example:8443/server.php?a=1&b=2', {
        headers: { 'X-Request-Id': 'abc-123', 'Accept-Language': 'fr', Proxy: 'http://evil.example' },
      });
      const server = (await response.json()) as Record<string, string>;
      expect(server).toMatchObject({
        HTTP_X_REQUEST_ID: 'abc-123',
        HTTP_ACCEPT_LANGUAGE: 'fr',
        HTTP_HOST: 'shop.example:8443',
        HTTPS: 'on',
        SERVER_NAME: 'shop.example',
        SERVER_PORT: '8443',
        QUERY_STRING: 'a=1&b=2',
        REQUEST_URI: '/server.php?a=1&b=2',
        SCRIPT_NAME: '/server.php',
        REQUEST_METHOD: 'GET',
      });
      expect(server.HTTP_PROXY).toBeUndefined();
    });

    test('a url-encoded form is parsed by PHP into $_POST', async () => {
      const response = await client.fetch('/form.php', {
        method: 'POST',
        body: new URLSearchParams({ user: 'ada', lang: 'caf\u00e9' }),
      });
      expect(await response.json()).toEqual({ user: 'ada', lang: 'caf\u00e9' });
    });

    test.each([201, 404, 503])('http_response_code(%i) becomes the response status', async (code) => {
      const response = await client.fetch(`/status.php?code=${code}`);
      expect(response.status).toBe(code);
      expect(await response.text()).toBe('status page');
    });

    test('several Set-Cookie headers stay separate', async () => {
      const response = await client.fetch('/cookies.php');
      expect(response.headers.getSetCookie()).toEqual([
        'first=one',
        'second=two; path=/app; HttpOnly',
        'third=three',
      ]);
      expect(await response.text()).toBe('cookies set');
    });

    test('error_log() output arrives as STDERR through onStderr', async () => {
      stderr.length = 0;
      const response = await client.fetch('/log.php');
      expect(await response.text()).toBe('logged');
      // php-fpm with log_errors=On and no error_log sends "PHP message: ..." on FCGI_STDERR.
      expect(stderr.join('')).toContain('PHP message: something went wrong in log.php');
    });

    test('a missing script is a 404 from php-fpm with its STDERR message', async () => {
      stderr.length = 0;
      const response = await client.fetch('/missing.php');
      expect(response.status).toBe(404);
      await response.text();
      expect(stderr.join('')).toMatch(/Primary script unknown/);
    });

    test('a HEAD request gets the headers and no body, and the connection stays usable', async () => {
      const head = await client.fetch('/hello.php', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
      expect(head.body).toBeNull();
      expect(await (await client.fetch('/hello.php?name=after')).text()).toBe('Hello from PHP GET after');
    });

    test('aborting mid-response rejects the body and php-fpm keeps serving', async () => {
      const controller = new AbortController();
      const response = await client.fetch('/slow.php', { signal: controller.signal });
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('started\n');
      controller.abort();
      await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
      const after = await Promise.all([client.fetch('/hello.php?name=a'), client.fetch('/hello.php?name=b')]);
      expect(await Promise.all(after.map((r) => r.text()))).toEqual([
        'Hello from PHP GET a',
        'Hello from PHP GET b',
      ]);
    });

    test('the ping.path health page answers pong', async () => {
      const response = await client.fetch('/ping');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('pong');
    });

    test('getValues() reports that php-fpm does not multiplex', async () => {
      // php-fpm answers FCGI_MPXS_CONNS only; it leaves out the names it has no value for.
      expect(await client.getValues()).toEqual({ FCGI_MPXS_CONNS: '0' });
    });

    test('more parallel requests than php-fpm workers all complete, with poolSize above pm.max_children', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.fetch(`/hello.php?name=n${i}`).then((r) => r.text())),
      );
      expect(responses).toEqual(Array.from({ length: 20 }, (_, i) => `Hello from PHP GET n${i}`));
    });

    test("multiplex 'auto' learns that php-fpm does not multiplex and serves parallel requests as before", async () => {
      const fresh = createClient(`unix:${fpm.socketPath}`, { documentRoot: fpm.root, multiplex: 'auto' });
      try {
        const bodies = await Promise.all(
          Array.from({ length: 6 }, (_, i) => fresh.fetch(`/slow.php?i=${i}`).then((r) => r.text())),
        );
        expect(bodies).toEqual(Array.from({ length: 6 }, () => 'started\nfinished\n'));
        const posted = await fresh.fetch('/echo.php', { method: 'POST', body: 'after the probe' });
        expect(await posted.text()).toBe('after the probe');
      } finally {
        await fresh.close();
      }
    });
  },
);

describe.skipIf(!phpFpmAvailable)('idle connections and php-fpm workers (skipped: no php-fpm)', () => {
  let fpm: PhpFpm | undefined;
  let client: FcgiClient | undefined;

  afterEach(async () => {
    await client?.close();
    await fpm?.stop();
    client = undefined;
    fpm = undefined;
  });

  test('getValues() is answered while idle pooled connections hold every php-fpm worker', async () => {
    fpm = await startPhpFpm({ 'slow.php': scripts['slow.php'] });
    // idleTimeout 0: the idle connections would otherwise give their workers back after 10 s anyway.
    client = createClient(`unix:${fpm.socketPath}`, { documentRoot: fpm.root, idleTimeout: 0 });
    // As many parallel requests as pm.max_children: afterwards both workers sit on an idle connection.
    const bodies = await Promise.all(
      ['/slow.php?a', '/slow.php?b'].map((path) => client?.fetch(path).then((r) => r.text())),
    );
    expect(bodies).toEqual(['started\nfinished\n', 'started\nfinished\n']);
    expect(await client.getValues()).toEqual({ FCGI_MPXS_CONNS: '0' });
  });
});
