import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type Background, start, waitFor } from './run';

const STARTUP_TIMEOUT_MS = 30_000;
const require = createRequire(import.meta.url);

/** A Verdaccio registry on a loopback port that holds only the @fcgi scope (no uplinks). */
export interface LocalRegistry {
  url: string;
  /** The `.npmrc` lines that publish to it as a registered user. */
  publishNpmrc: string;
  /** The `.npmrc` line a consumer uses: @fcgi from here, everything else from the usual registry. */
  scopeNpmrc: string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '@fcgi/*':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const bin = join(require.resolve('verdaccio/package.json'), '..', 'bin', 'verdaccio');
  const server: Background = start(
    process.execPath,
    [bin, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      cwd: dir,
    },
  );
  try {
    await waitFor(
      async () => {
        const response = await fetch(`${url}-/ping`);
        if (!response.ok) throw new Error(`ping answered ${response.status}`);
      },
      STARTUP_TIMEOUT_MS,
      `verdaccio on ${url}`,
    );
    const token = await addUser(url);
    const hostPath = url.replace(/^http:/, '');
    return {
      url,
      publishNpmrc: `registry=${url}\n${hostPath}:_authToken=${token}\n`,
      scopeNpmrc: `@fcgi:registry=${url}\n`,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw new Error(`${String(error)}\n${server.output()}`);
  }
}

async function addUser(url: string): Promise<string> {
  const name = 'release-test';
  const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'release-test-password' }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || body.token === undefined) throw new Error(`adding a user answered ${response.status}`);
  return body.token;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}
