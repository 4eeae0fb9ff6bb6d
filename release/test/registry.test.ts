/**
 * The release as a user meets it: every package is versioned and published by changesets to a local
 * Verdaccio registry, then projects outside the workspace install from it with npm and answer a
 * FastCGI request. Nothing a user would copy is edited on the way: a copied example or the README's
 * snippet that needs a hand edit fails here.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyExample, firstSnippet, initProject, npmInstall } from '../src/consumer';
import { type LocalRegistry, startRegistry } from '../src/registry';
import { type Background, run, start, waitFor } from '../src/run';
import { type PublishedPackage, releaseFromStage } from '../src/stage';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const SERVER_START_TIMEOUT_MS = 20_000;
/** Files every published tarball must carry besides its dist/ entry points. */
const SHIPPED_FILES = [
  'package/LICENSE',
  'package/README.md',
  'package/CHANGELOG.md',
  'package/package.json',
];

/** Every package starts at 0.0.0 and its "First release" changeset is a minor bump. */
const FIRST_RELEASE = /^0\.1\.\d+$/;

function publicPackageNames(): string[] {
  return readdirSync(join(REPO_ROOT, 'packages'))
    .filter((dir) => existsSync(join(REPO_ROOT, 'packages', dir, 'package.json')))
    .map((dir) => JSON.parse(readFileSync(join(REPO_ROOT, 'packages', dir, 'package.json'), 'utf8')))
    .filter((manifest: { private?: boolean }) => manifest.private !== true)
    .map((manifest: { name: string }) => manifest.name)
    .sort();
}

/** The adapters' peer dependencies, at the ranges the examples use. */
const FRAMEWORK_PEERS = ['hono@^4.13.19', 'h3@^2.0.8', '@trpc/server@^11.25.2'];

let scratch: string;
let registry: LocalRegistry;
let published: PublishedPackage[];
const servers: Background[] = [];

beforeAll(async () => {
  // Outside the workspace, so that nothing resolves through the repository's node_modules.
  scratch = mkdtempSync(join(tmpdir(), 'fcgi-release-'));
  mkdirSync(join(scratch, 'registry'));
  mkdirSync(join(scratch, 'stage'));
  registry = await startRegistry(join(scratch, 'registry'));
  published = await releaseFromStage(REPO_ROOT, join(scratch, 'stage'), registry.url, registry.publishNpmrc);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await registry?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** Starts `command` in `cwd` and resolves once `fcgi request TARGET PATH` answers 2xx/3xx. */
async function startAndAsk(
  project: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  target: string,
  path: string,
  requestArgs: string[] = [],
): Promise<string> {
  const [bin, ...args] = command as [string, ...string[]];
  const server = start(bin, args, { cwd: project, env });
  servers.push(server);
  try {
    return await waitFor(
      () => run('npx', ['--no-install', 'fcgi', 'request', target, path, ...requestArgs], { cwd: project }),
      SERVER_START_TIMEOUT_MS,
      `${command.join(' ')} in ${project}`,
    );
  } catch (error) {
    throw new Error(`${String(error)}\nserver output:\n${server.output()}`);
  } finally {
    await server.stop();
  }
}

describe('the release', () => {
  test('publishes every public package at the first version its changesets give', () => {
    expect(published.map((pkg) => pkg.name).sort()).toEqual(publicPackageNames());
    for (const pkg of published) expect(pkg.version, pkg.name).toMatch(FIRST_RELEASE);
  });

  test('every tarball on the registry ships LICENSE, README, CHANGELOG, the built code and its types', async () => {
    const downloads = join(scratch, 'tarballs');
    mkdirSync(downloads, { recursive: true });
    for (const pkg of published) {
      const tarball = (
        await run('npm', ['pack', `${pkg.name}@${pkg.version}`, '--registry', registry.url], {
          cwd: downloads,
        })
      )
        .trim()
        .split('\n')
        .at(-1) as string;
      const listing = (await run('tar', ['-tzf', tarball], { cwd: downloads })).split('\n');
      for (const file of [...SHIPPED_FILES, 'package/dist/index.js', 'package/dist/index.d.ts']) {
        expect(listing, `${pkg.name} ships ${file}`).toContain(file);
      }
    }
  });
});

describe('a new project', () => {
  test("the responder README's first snippet, pasted into an npm init -y project, answers a request", async () => {
    const project = join(scratch, 'readme-snippet');
    await initProject(project, registry.scopeNpmrc);
    await npmInstall(project, ['@fcgi/responder', '@fcgi/cli']);
    const readme = readFileSync(join(REPO_ROOT, 'packages/responder/README.md'), 'utf8');
    writeFileSync(join(project, 'hello.mjs'), firstSnippet(readme, 'ts'));

    const body = await startAndAsk(project, ['node', 'hello.mjs'], {}, './app.sock', '/hi');
    expect(body).toContain('you asked for /hi');
  });
});

test('the installed fcgi prints a web-server config from its shipped templates', async () => {
  const project = join(scratch, 'readme-snippet');
  const nginx = await run(
    'npx',
    ['--no-install', 'fcgi', 'config', 'nginx', '--socket', '/run/app/fcgi.sock'],
    {
      cwd: project,
    },
  );
  expect(nginx).toContain('server unix:/run/app/fcgi.sock;');
});

describe('the type declarations', () => {
  test('compile in a Node TypeScript project without the DOM lib', async () => {
    const project = join(scratch, 'types-without-dom');
    await initProject(project, registry.scopeNpmrc);
    const names = published.map((pkg) => pkg.name);
    await npmInstall(project, [...names, ...FRAMEWORK_PEERS, 'typescript@~5.9.3', '@types/node@^20.19.0']);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          types: ['node'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          // Our .d.ts files are library files: skipping their check would hide exactly this failure.
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['index.mts'],
      }),
    );
    writeFileSync(
      join(project, 'index.mts'),
      `${names.map((name, index) => `import * as package${index} from '${name}';`).join('\n')}\nexport const all = [${names.map((_, index) => `package${index}`).join(', ')}];\n`,
    );
    await run('npx', ['--no-install', 'tsc', '-p', '.'], { cwd: project });
  });
});

/** Each example, copied as its README says, with where its server listens and a path it answers. */
const EXAMPLES = [
  { name: 'hello', path: '/greet?name=Ada', expected: 'Ada' },
  { name: 'hono', path: '/', expected: 'Hello from Hono over FastCGI' },
  { name: 'h3', path: '/', expected: 'Hello from h3 over FastCGI' },
  { name: 'trpc', path: '/trpc/whoami', expected: '"clientAddress"' },
  { name: 'express', path: '/api/notes', expected: 'try Express over FastCGI' },
] as const;

describe('a copied example installs from the registry, builds and answers', () => {
  for (const example of EXAMPLES) {
    test(example.name, async () => {
      const project = join(scratch, `example-${example.name}`);
      copyExample(join(REPO_ROOT, 'examples', example.name), project, registry.scopeNpmrc);
      await npmInstall(project);
      await run('npm', ['run', 'build'], { cwd: project });

      const socket = join(project, 'app.sock');
      const body = await startAndAsk(
        project,
        ['npm', 'start'],
        { FCGI_SOCKET: socket },
        socket,
        example.path,
      );
      expect(body).toContain(example.expected);
    });
  }

  test('authorizer', async () => {
    const project = join(scratch, 'example-authorizer');
    copyExample(join(REPO_ROOT, 'examples', 'authorizer'), project, registry.scopeNpmrc);
    await npmInstall(project);
    await run('npm', ['run', 'build'], { cwd: project });

    // fcgi request speaks the Responder role, which the authorizer refuses with a 500 that says what it is
    // (exit 1); that answer proves it installed, built and serves.
    const target = `127.0.0.1:${await freeLoopbackPort()}`;
    const server = start('npm', ['start'], {
      cwd: project,
      env: { FCGI_PORT: target.split(':')[1], AUTH_TOKENS: 'good:alice' },
    });
    servers.push(server);
    const refusal = await waitFor(
      () =>
        run('npx', ['--no-install', 'fcgi', 'request', target, '/docs/'], { cwd: project }).then(
          (body) => `unexpected success: ${body}`,
          (error: Error) => {
            if (!error.message.includes('exited 1')) throw error;
            return error.message;
          },
        ),
      SERVER_START_TIMEOUT_MS,
      `the authorizer on ${target}`,
    );
    await server.stop();
    expect(refusal).toContain('this app is a FastCGI Authorizer');
  });
});

async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolvePort(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
