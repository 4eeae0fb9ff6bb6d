import { execFile } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { PROCESS_TEST_TIMEOUT_MS, tempDir } from './helpers';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const binPath = join(packageDir, packageJson.bin.fcgi);

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

describe('the fcgi bin', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  // pnpm links bins at install time, before any build: a bin inside dist/ fails on a fresh clone.
  it('is a file committed to the repository, shipped in the package', async () => {
    const { stdout } = await run('git', ['ls-files', '--error-unmatch', packageJson.bin.fcgi], {
      cwd: packageDir,
    });
    expect(stdout.trim()).toBe(packageJson.bin.fcgi.replace(/^\.\//, ''));
    expect(packageJson.files).toContain(packageJson.bin.fcgi.replace(/^\.\//, '').split('/')[0]);
  });

  it('runs the built CLI', async () => {
    const { stdout } = await run(process.execPath, [binPath, '--version']);
    expect(stdout).toBe(`${packageJson.version}\n`);
  });

  it('tells to run pnpm build when the CLI has not been built', async () => {
    await mkdir(join(dir.path, 'bin'));
    const unbuilt = join(dir.path, 'bin', 'fcgi.js');
    await copyFile(binPath, unbuilt);
    const failed = await run(process.execPath, [unbuilt, '--version']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^fcgi: .*dist\/cli\.js is missing.*run pnpm build/);
  });
});
