import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Installs Bun and Deno from npm with the project's own script (a no-op when they are there). */
export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/install-runtimes.sh', import.meta.url));
  execFileSync('bash', [script, 'bun', 'deno'], { stdio: 'inherit' });
}
