#!/usr/bin/env node
// The prepack guard of every published package: packing (and so publishing) stops unless each file the
// package's manifest points at (exports, types, bin targets and any path given as an argument) is built.
// A tarball whose exports point at a missing dist/ installs fine and fails only when imported.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_CONDITION = '@fcgi/source';
const packageDir = process.cwd();
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

/** Every file path in an exports value, skipping the in-repo source condition. */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value)
    .filter(([condition]) => condition !== SOURCE_CONDITION)
    .flatMap(([, target]) => exportTargets(target));
}

const required = new Set([
  ...exportTargets(manifest.exports),
  ...(typeof manifest.types === 'string' ? [manifest.types] : []),
  ...process.argv.slice(2),
]);
const missing = [...required].filter((path) => !existsSync(join(packageDir, path)));
if (missing.length > 0) {
  process.stderr.write(
    `${manifest.name}: cannot pack, not built (missing ${missing.join(', ')}); run pnpm build at the repository root first\n`,
  );
  process.exit(1);
}
