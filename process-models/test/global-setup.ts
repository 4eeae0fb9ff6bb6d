import { existsSync } from 'node:fs';
import { cliPath } from './helpers/paths';

/**
 * The tests start the `fcgi` command as real processes (web servers exec it), so it must be the built
 * JavaScript. `pnpm test` builds it first; a bare `vitest run` right after a clone would not.
 */
export default function setup(): void {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: run \`pnpm build\` (or \`pnpm --filter @fcgi/cli build\`) first`);
  }
}
