import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import { run } from './run';

/** What a package's folder holds that is never part of a release (built or installed locally). */
const NOT_RELEASED = new Set(['node_modules', '.turbo', 'test', 'bench', 'coverage']);

export interface PublishedPackage {
  name: string;
  version: string;
  dir: string;
}

/**
 * Lays out the repository's release inputs (packages with their dist/, .changeset/, the workspace
 * manifest) in `stageDir`, a git repository of its own, and runs the release there as a maintainer
 * does: `changeset version`, then `changeset publish` to the registry that `npmrc` names. The working
 * tree is never touched. Returns the published packages.
 */
export async function releaseFromStage(
  repoRoot: string,
  stageDir: string,
  registryUrl: string,
  npmrc: string,
): Promise<PublishedPackage[]> {
  for (const file of [
    'package.json',
    'pnpm-workspace.yaml',
    'LICENSE',
    '.changeset',
    'scripts/assert-built.mjs',
  ]) {
    cpSync(join(repoRoot, file), join(stageDir, file), { recursive: true });
  }
  // A folder without a manifest (a package still being written) is not a package.
  const packageDirs = readdirSync(join(repoRoot, 'packages'))
    .map((name) => join('packages', name))
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')));
  for (const dir of packageDirs) {
    cpSync(join(repoRoot, dir), join(stageDir, dir), {
      recursive: true,
      filter: (source) => !NOT_RELEASED.has(basename(source)),
    });
  }
  linkInternalDependencies(repoRoot, stageDir, packageDirs);
  writeFileSync(join(stageDir, '.npmrc'), npmrc);
  const git = { GIT_AUTHOR_NAME: 'release test', GIT_AUTHOR_EMAIL: 'release@test.invalid' };
  const gitEnv = {
    ...git,
    GIT_COMMITTER_NAME: git.GIT_AUTHOR_NAME,
    GIT_COMMITTER_EMAIL: git.GIT_AUTHOR_EMAIL,
  };
  await run('git', ['init', '-q', '-b', 'main'], { cwd: stageDir });
  await run('git', ['add', '.'], { cwd: stageDir });
  await run('git', ['commit', '-qm', 'release inputs'], { cwd: stageDir, env: gitEnv });

  const changeset = join(repoRoot, 'node_modules', '.bin', 'changeset');
  await run(changeset, ['version'], { cwd: stageDir, env: gitEnv });
  await run(changeset, ['publish'], {
    cwd: stageDir,
    env: { npm_config_userconfig: join(stageDir, '.npmrc'), npm_config_registry: registryUrl },
  });

  return packageDirs
    .map((dir) => join(stageDir, dir))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
      };
      return { name: manifest.name, version: manifest.version, dir, private: manifest.private === true };
    })
    .filter((pkg) => !pkg.private)
    .map(({ name, version, dir }) => ({ name, version, dir }));
}

type Manifest = { name: string } & Partial<
  Record<'dependencies' | 'devDependencies' | 'peerDependencies', Record<string, string>>
>;

/**
 * Links each package's @fcgi/* dependencies to their staged folders, as `pnpm install` would: pnpm
 * publish reads a linked dependency's version to replace a `workspace:` range. A private workspace
 * package (a devDependency such as @fcgi/test-utils) links to the repository's own. Nothing else is
 * installed.
 */
function linkInternalDependencies(repoRoot: string, stageDir: string, packageDirs: string[]): void {
  const dirByName = new Map<string, string>();
  const manifests = packageDirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(stageDir, dir, 'package.json'), 'utf8')) as Manifest;
    dirByName.set(manifest.name, join(stageDir, dir));
    return { dir: join(stageDir, dir), manifest };
  });
  for (const { dir, manifest } of manifests) {
    const names = [manifest.dependencies, manifest.devDependencies, manifest.peerDependencies].flatMap(
      (deps) => Object.keys(deps ?? {}),
    );
    for (const name of new Set(names)) {
      const target =
        dirByName.get(name) ?? (name.startsWith('@fcgi/') ? join(repoRoot, 'node_modules', name) : undefined);
      if (target === undefined) continue;
      const link = join(dir, 'node_modules', name);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(relative(join(link, '..'), target), link);
    }
  }
}
