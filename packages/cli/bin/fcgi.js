#!/usr/bin/env node
// The `fcgi` bin. It is committed, unlike dist/, so that pnpm can link it on a fresh clone before the
// first build; it only loads the built CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'fcgi: the CLI is not built yet (dist/cli.js is missing); run pnpm build in the fcgi repository first\n',
  );
  process.exit(1);
}
await import(cli.href);
