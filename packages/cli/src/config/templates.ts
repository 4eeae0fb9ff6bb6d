import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The templates ship in dist/templates (the build copies them from the repository's
 * examples/webservers). Bundled code sits in dist/; the sources (tests) are two levels below the package.
 */
const CANDIDATE_DIRS = ['./templates/', '../../dist/templates/'];

export function templateDir(): string {
  for (const candidate of CANDIDATE_DIRS) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error(
    'the web-server templates are missing (dist/templates); run pnpm build in the fcgi repository',
  );
}

export function readTemplate(name: string): string {
  return readFileSync(`${templateDir()}${name}`, 'utf8');
}
