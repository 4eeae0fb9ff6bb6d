import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const resultsDir = join(benchDir, 'results');

const stamp = () =>
  new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d+Z$/, 'Z');

/** Saves one raw run as results/<kind>-<timestamp>.json and returns the file name. */
export function saveRaw(kind: string, data: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const name = `${kind}-${stamp()}.json`;
  writeFileSync(join(resultsDir, name), `${JSON.stringify(data, null, 2)}\n`);
  return name;
}

/** The newest saved run of a kind, for re-rendering RESULTS.md without re-running everything. */
export function latestRaw<T>(kind: string): { name: string; data: T } | undefined {
  if (!existsSync(resultsDir)) return undefined;
  const name = readdirSync(resultsDir)
    .filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.json'))
    .sort()
    .pop();
  return name ? { name, data: JSON.parse(readFileSync(join(resultsDir, name), 'utf8')) as T } : undefined;
}

/** A private temp dir for sockets, configs and logs; removed unless BENCH_KEEP_TMP=1. */
export function makeRunDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fcgi-bench-'));
  return {
    dir,
    cleanup: () => {
      if (process.env.BENCH_KEEP_TMP === '1') process.stderr.write(`run files kept in ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
