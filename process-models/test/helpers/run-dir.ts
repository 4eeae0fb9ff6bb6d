import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

/**
 * A fresh temp dir for one test's sockets, configs and logs. Mode 755: Apache and lighttpd workers
 * may run as www-data and must reach the sockets inside.
 */
export function makeRunDir(label: string): RunDir {
  const path = mkdtempSync(join(tmpdir(), `fcgi-pm-${label}-`));
  chmodSync(path, 0o755);
  return {
    path,
    file: (name) => join(path, name),
    // PM_KEEP_RUN_DIRS=1 keeps configs and logs for a post-mortem.
    remove: () => {
      if (!process.env.PM_KEEP_RUN_DIRS) rmSync(path, { recursive: true, force: true });
    },
  };
}
