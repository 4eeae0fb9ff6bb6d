import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';

const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

export function findExecutable(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SYSTEM_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {}
    }
  }
  return undefined;
}

/**
 * The harness needs nginx, wrk and taskset; on a fresh machine it says how to get them rather than
 * failing halfway through a run.
 */
export function preflight(): { nginx: string; cores: { front: string; backend: string; note?: string } } {
  const missing = [
    ['nginx', 'nginx-light'],
    ['wrk', 'wrk'],
    ['taskset', 'util-linux'],
  ].filter(([tool]) => !findExecutable([tool!]));
  if (missing.length > 0) {
    const packages = missing.map(([, pkg]) => pkg).join(' ');
    throw new Error(
      `missing ${missing.map(([tool]) => tool).join(', ')}.\n` +
        'Install the system dependencies with `bash scripts/install-system-deps.sh` from the repository root\n' +
        `(or: sudo apt-get install -y ${packages}).`,
    );
  }
  const nginx = findExecutable(['nginx'])!;
  if (availableParallelism() < 2) {
    return {
      nginx,
      cores: { front: '0', backend: '0', note: 'only one CPU: nginx, wrk and the backend all share core 0' },
    };
  }
  return { nginx, cores: { front: '0', backend: '1' } };
}

/** First line a tool prints for its version, wherever it prints it (nginx: stderr; wrk: stdout, exit 1). */
function versionOf(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return text.split('\n')[0]?.trim() || 'unknown';
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  nginx: string;
  wrk: string;
  phpFpm: string;
  packages: Record<string, string>;
  commit: string;
}

export function machineInfo(nginx: string): MachineInfo {
  const php = findExecutable(['php-fpm', 'php-fpm8.2', 'php-fpm8.3', 'php-fpm8.1']);
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    nginx: versionOf(nginx, ['-v']),
    wrk: versionOf('wrk', ['-v']).replace(/ Copyright.*/, ''),
    phpFpm: php ? versionOf(php, ['-v']) : 'not installed',
    packages: Object.fromEntries(
      ['@fcgi/responder', '@fcgi/client', 'hono', '@hono/node-server', 'node-fastcgi'].map((n) => [
        n,
        packageVersion(n),
      ]),
    ),
    commit,
  };
}
