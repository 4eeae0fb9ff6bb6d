// Bundles a TypeScript benchmark (sources resolved through the "@fcgi/source" condition) and runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'fcgi-bench-'));
const outfile = join(dir, 'keepalive.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('./keepalive.ts', import.meta.url))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@fcgi/source'],
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exitCode = result.status ?? 1;
