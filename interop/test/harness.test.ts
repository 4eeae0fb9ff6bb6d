/** The interop harness's own pieces, checked without any web server. */

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, launch, waitFor } from '@fcgi/test-utils/processes';
import { afterEach, describe, expect, test } from 'vitest';
import { patternBytes, patternSha256, sha256 } from '../src/expected';
import { headerValues } from '../src/http-client';
import { Matrix } from '../src/matrix';
import { paths } from '../src/paths';
import { renderTemplate, renderText } from '../src/render';
import { createRunDir, type RunDir } from '../src/run-dir';
import { cgiEnvironment } from '../src/servers/cgi-fcgi';
import { unitValue } from '../src/socket-activation';
import { countArrivals } from '../src/sse';

const runDirs: RunDir[] = [];
afterEach(() => {
  for (const dir of runDirs.splice(0)) dir.remove();
});
function runDir(): RunDir {
  const dir = createRunDir('harness');
  runDirs.push(dir);
  return dir;
}

describe('config rendering', () => {
  test('replaces every placeholder', () => {
    expect(renderText('listen {{port}}; root {{dir}}/{{dir}};', { port: 80, dir: '/srv' })).toBe(
      'listen 80; root /srv//srv;',
    );
  });

  test('a placeholder without a value is an error naming it', () => {
    expect(() => renderText('listen {{port}}; {{backend}}', { port: 80 })).toThrow(/backend/);
  });

  test('a value no placeholder uses is an error naming it', () => {
    expect(() => renderText('listen {{port}};', { port: 80, stale: 'x' })).toThrow(/stale/);
  });

  test('every template in examples/webservers has only lowercase {{placeholders}}', () => {
    const names = readdirSync(paths.templates, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'README.md')
      .map((entry) => entry.name);
    expect(names.length).toBeGreaterThanOrEqual(7);
    for (const name of names) {
      const text = readFileSync(`${paths.templates}${name}`, 'utf8');
      expect(text.match(/\{\{(?![a-z_]+\}\})[^}]*\}\}/g), name).toBeNull();
    }
  });
});

describe('configs no column runs', () => {
  test('haproxy-mpxs.cfg renders to a config HAProxy accepts', () => {
    const dir = runDir();
    const config = renderTemplate('haproxy-mpxs.cfg', dir.path, {
      listen_port: 8080,
      backend: `unix@${dir.file('app.sock')}`,
      doc_root: dir.docRoot,
    });
    expect(execFileSync('haproxy', ['-c', '-f', config], { encoding: 'utf8' })).toMatch(/valid/i);
  });
});

describe('process launcher', () => {
  test('waits until the endpoint accepts connections', async () => {
    const dir = runDir();
    const port = await freePort();
    const child = await launch({
      name: 'listener',
      command: process.execPath,
      args: ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`],
      logFile: dir.file('listener.log'),
      readyWhen: { host: '127.0.0.1', port },
    });
    const exit = await child.stop();
    expect(exit.signal).toBe('SIGTERM');
  });

  test('fails fast, pointing at the log, when the process exits before listening', async () => {
    const dir = runDir();
    const port = await freePort();
    await expect(
      launch({
        name: 'quitter',
        command: process.execPath,
        args: ['-e', 'process.exit(3)'],
        logFile: dir.file('quitter.log'),
        readyWhen: { host: '127.0.0.1', port },
      }),
    ).rejects.toThrow(/exited \(code 3.*quitter\.log/);
  });

  test('kills a process group that ignores SIGTERM, children included', async () => {
    const dir = runDir();
    const pidFile = dir.file('grandchild.pid');
    // The parent ignores SIGTERM and spawns a grandchild that does too.
    const script = `
      process.on('SIGTERM', () => {});
      const child = require('child_process').spawn(process.execPath,
        ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
      setInterval(() => {}, 1000);`;
    const child = await launch({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', script],
      logFile: dir.file('stubborn.log'),
    });
    await waitForFile(pidFile);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const exit = await child.stop();
    expect(exit.signal).toBe('SIGKILL');
    expect(isAlive(grandchild)).toBe(false);
  });
});

async function waitForFile(path: string): Promise<void> {
  await waitFor(path, () => existsSync(path) && readFileSync(path, 'utf8').length > 0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('free ports', () => {
  test('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('expected bodies', () => {
  test('the /bytes pattern wraps at 251', () => {
    expect([...patternBytes(4, 249)]).toEqual([249, 250, 0, 1]);
  });

  test('the streamed pattern hash equals the hash of the whole pattern', () => {
    const length = 3 * 1024 * 1024 + 17;
    expect(patternSha256(length)).toBe(sha256(patternBytes(length)));
  });
});

describe('server-sent event arrivals', () => {
  test('events closer than the gap count as one arrival', () => {
    const at = (ms: number) => ({ text: '', at: ms });
    expect(countArrivals([at(0), at(10), at(200), at(400), at(405), at(600)], 60)).toBe(4);
  });
});

describe('cgi-fcgi environment', () => {
  test('maps the request to CGI variables, keeping REQUEST_URI raw', () => {
    const env = cgiEnvironment(
      {
        method: 'POST',
        url: '/a%20b?x=1',
        headers: {
          host: '127.0.0.1:8080',
          'content-type': 'text/plain',
          'content-length': '3',
          'x-dup': 'a, b',
        },
      },
      { port: 8080 },
    );
    expect(env).toMatchObject({
      REQUEST_METHOD: 'POST',
      REQUEST_URI: '/a%20b?x=1',
      SCRIPT_NAME: '/a b',
      QUERY_STRING: 'x=1',
      HTTP_HOST: '127.0.0.1:8080',
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '3',
      HTTP_X_DUP: 'a, b',
    });
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
  });
});

describe('results', () => {
  test('the matrix lists every behaviour against every column', () => {
    const matrix = new Matrix(['nginx', 'caddy']);
    matrix.set('GET /hello', 'nginx', 'pass');
    matrix.set('GET /hello', 'caddy', 'fail');
    matrix.set('SSE', 'caddy', 'skip');
    expect(matrix.toMarkdown()).toBe(
      '| behaviour | nginx | caddy |\n| --- | --- | --- |\n| GET /hello | pass | FAIL |\n| SSE |  | skip |\n',
    );
    expect(matrix.hasFailure('caddy')).toBe(true);
    expect(matrix.hasFailure('nginx')).toBe(false);
  });

  test('repeated response headers are read separately', () => {
    const raw = ['Set-Cookie', 'a=1', 'Content-Type', 'x', 'set-cookie', 'b=2'];
    expect(headerValues({ rawHeaders: raw }, 'set-cookie')).toEqual(['a=1', 'b=2']);
  });

  test('unit files are read like systemd does: the last assignment wins', () => {
    expect(unitValue('[Socket]\nListenStream=/a\n# comment\nListenStream = /b\n', 'ListenStream')).toBe('/b');
    expect(() => unitValue('[Service]\n', 'ExecStart')).toThrow(/ExecStart/);
  });
});
