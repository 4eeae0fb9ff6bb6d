/** A temp directory per column for configs, sockets, logs and server temp files. */

import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRunDir as createTempRunDir } from '@fcgi/test-utils/processes';
import { paths } from './paths';

export interface RunDir {
  readonly path: string;
  /** An empty document root inside the run dir (servers that require one get this). */
  readonly docRoot: string;
  file(name: string): string;
  /** Copies the logs into interop/.results/logs/<label>/ for a later look. */
  keepLogs(label: string): void;
  remove(): void;
}

export function createRunDir(label: string): RunDir {
  const dir = createTempRunDir('interop', label);
  const path = dir.path;
  const docRoot = join(path, 'www');
  mkdirSync(docRoot, { mode: 0o755 });
  return {
    path,
    docRoot,
    file: dir.file,
    keepLogs(target) {
      const destination = join(paths.results, 'logs', target.replace(/[^a-z0-9-]/gi, '-'));
      mkdirSync(destination, { recursive: true });
      for (const name of readdirSync(path)) {
        if (
          name.endsWith('.log') ||
          name.endsWith('.conf') ||
          name.endsWith('.cfg') ||
          name === 'Caddyfile'
        ) {
          cpSync(join(path, name), join(destination, name));
        }
      }
    },
    remove: dir.remove,
  };
}
