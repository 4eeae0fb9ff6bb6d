/** What every published package's folder must hold for npm, checked without a registry. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;
const PACKAGE_DIRS = readdirSync(join(REPO_ROOT, 'packages'))
  .map((name) => join(REPO_ROOT, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { private?: boolean };
    return manifest.private !== true;
  });

describe.each(PACKAGE_DIRS)('%s', (dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    engines?: { node?: string };
    license?: string;
    files?: string[];
    scripts?: Record<string, string>;
  };

  test('is MIT licensed with the repository LICENSE beside it', () => {
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'));
  });

  test('ships its LICENSE, README and CHANGELOG', () => {
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'README.md', 'CHANGELOG.md']));
  });

  test('supports the Node lines the project supports', () => {
    expect(manifest.engines?.node).toBe('>=20.19');
  });

  test('README links only to absolute addresses or anchors, which work on npm', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const relative = [...readme.matchAll(MARKDOWN_LINK)]
      .map((match) => match[1] as string)
      .filter((target) => !/^(https?:|#|mailto:)/.test(target));
    expect(relative).toEqual([]);
  });

  test('refuses to pack before it is built', () => {
    const copy = mkdtempSync(join(tmpdir(), 'fcgi-unbuilt-'));
    try {
      cpSync(join(dir, 'package.json'), join(copy, 'package.json'));
      const guard = manifest.scripts?.prepack?.replace('../../scripts/', `${join(REPO_ROOT, 'scripts')}/`);
      expect(guard, 'a prepack script').toMatch(/^node /);
      const result = spawnSync('sh', ['-c', guard as string], { cwd: copy, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/cannot pack, not built .*dist\/index\.js/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('changesets', () => {
  const dir = join(REPO_ROOT, '.changeset');
  const changesets = readdirSync(dir).filter((name) => name.endsWith('.md') && name !== 'README.md');

  // The changelog keeps a changeset's line breaks, so a hard-wrapped paragraph renders broken.
  test.each(changesets)('%s is not hard-wrapped', (name) => {
    const body = readFileSync(join(dir, name), 'utf8').split(/^---$/m)[2] ?? '';
    const wrapped = body
      .split('\n')
      .filter((line, index, lines) => line.trim() !== '' && (lines[index - 1] ?? '').trim() !== '')
      .filter((line) => !/^\s*[-*] /.test(line));
    expect(wrapped).toEqual([]);
  });
});
