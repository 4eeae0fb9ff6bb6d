import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp dir for unix sockets; remove() deletes it. Paths stay short (unix socket paths max ~107 bytes). */
export function tempDir(): { path: string; socket(name?: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'fcgi-r-'));
  return {
    path,
    socket: (name = 's.sock') => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
