import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import { startGateway } from '../src/gateway/server';
import { cli, tempDir } from './helpers';

/** Debian's php-fpm binary (php-fpm8.2 on bookworm), if installed. */
const phpFpm = existsSync('/usr/sbin')
  ? readdirSync('/usr/sbin')
      .filter((name) => /^php-fpm[\d.]*$/.test(name))
      .map((name) => join('/usr/sbin', name))[0]
  : undefined;

// `fcgi request` as the health check for a real php-fpm pool, started here with its own config.
describe.skipIf(!phpFpm)('fcgi request against php-fpm', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let fpm: ChildProcess;
  let socket: string;

  beforeAll(async () => {
    dir = await tempDir();
    socket = join(dir.path, 'fpm.sock');
    await writeFile(
      join(dir.path, 'fpm.conf'),
      [
        '[global]',
        `error_log = ${join(dir.path, 'fpm.log')}`,
        'daemonize = no',
        '[www]',
        `listen = ${socket}`,
        'pm = static',
        'pm.max_children = 1',
        'ping.path = /ping',
        'catch_workers_output = yes',
      ].join('\n'),
    );
    await writeFile(join(dir.path, 'input.php'), '<?php echo strlen(file_get_contents("php://input"));');
    await writeFile(
      join(dir.path, 'form.php'),
      '<?php error_log("form posted"); echo "name=", $_POST["name"];',
    );
    fpm = spawn(phpFpm!, ['-n', '-y', join(dir.path, 'fpm.conf'), '-R'], { stdio: 'ignore' });
    // Ready once the socket accepts: poll with the command under test (exit 3 until then).
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await cli(['values', socket, '--timeout', '1000'])).code === ExitCode.Ok) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    if (fpm && fpm.exitCode === null) {
      fpm.kill('SIGTERM');
      await once(fpm, 'exit');
    }
    await dir?.remove();
  });

  it('exits 0 on the ping page, the php-fpm health check', async () => {
    const result = await cli(['request', socket, '/ping', '--script-filename', '/ping']);
    expect(result).toMatchObject({ code: ExitCode.Ok, stdout: 'pong' });
  });

  it('posts a form to a script and relays its error_log to stderr', async () => {
    const result = await cli(['request', socket, '/form.php', '--document-root', dir.path, '-d', 'name=Ada']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toBe('name=Ada');
    expect(result.stderr).toMatch(/form posted\n$/);
  });

  it('exits 1 for a missing script, the backend message on its own line', async () => {
    const result = await cli(['request', socket, '/missing.php', '--document-root', dir.path]);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toBe(`Primary script unknown\nfcgi request: 404 Not Found from unix:${socket}\n`);
  });

  describe('behind fcgi gateway, a chunked upload (no Content-Length)', () => {
    async function uploadThroughGateway(options: { bufferBody?: boolean }): Promise<string> {
      const gateway = await startGateway({ target: `unix:${socket}`, port: 0, root: dir.path, ...options });
      try {
        const chunks = ['a'.repeat(70_000), 'b'.repeat(30_000)];
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(next));
          },
        });
        const response = await fetch(`${gateway.url}input.php`, {
          method: 'POST',
          body,
          duplex: 'half',
        } as RequestInit);
        return await response.text();
      } finally {
        await gateway.close(1000);
      }
    }

    it('does not reach PHP when streamed without CONTENT_LENGTH (why --buffer-body exists)', async () => {
      // php-fpm reads no STDIN without CONTENT_LENGTH: an empty body, or a 502 when it closes the
      // connection while the upload is still being written.
      expect(await uploadThroughGateway({})).not.toBe('100000');
    });

    it('reaches PHP whole with --buffer-body', async () => {
      expect(await uploadThroughGateway({ bufferBody: true })).toBe('100000');
    });
  });

  it('prints what php-fpm announces with values', async () => {
    expect((await cli(['values', socket])).stdout).toBe('FCGI_MPXS_CONNS=0\n');
  });
});
