import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

/**
 * A fresh temp dir for one suite's sockets, configs and logs, named `fcgi-<suite>-<label>-…`. Mode
 * 755: Apache and lighttpd workers may run as www-data and must reach the sockets inside. With
 * `keep`, remove() leaves it for a post-mortem.
 */
export function createRunDir(suite: string, label: string, options: { keep?: boolean } = {}): RunDir {
  const path = mkdtempSync(join(tmpdir(), `fcgi-${suite}-${label.replace(/[^a-z0-9-]/gi, '-')}-`));
  chmodSync(path, 0o755);
  return {
    path,
    file: (name) => join(path, name),
    remove: () => {
      if (!options.keep) rmSync(path, { recursive: true, force: true });
    },
  };
}
