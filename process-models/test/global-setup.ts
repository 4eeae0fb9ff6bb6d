import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { builtCliPath, repoRoot } from './helpers/paths';

/**
 * Bundles the `fcgi` command from packages/cli's current source into one file before the suite runs.
 * The tests start it as real processes (web servers exec it), so it must be plain JavaScript; a
 * private bundle also keeps the suite independent of packages/cli/dist, which is rebuilt (and briefly
 * missing) whenever someone runs `pnpm build`.
 */
export default function setup(): void {
  mkdirSync(new URL('../.cache/', import.meta.url), { recursive: true });
  execFileSync(
    `${repoRoot}node_modules/.bin/esbuild`,
    [
      `${repoRoot}packages/cli/src/cli.ts`,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--conditions=@fcgi/source',
      '--log-level=warning',
      `--outfile=${builtCliPath}`,
    ],
    { stdio: 'inherit' },
  );
  chmodSync(builtCliPath, 0o755);
}
