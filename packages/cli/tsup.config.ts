import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

// `fcgi config` prints the repository's web-server templates (examples/webservers), the very files the
// interop suite runs the real servers on; they ship in dist/templates.
const TEMPLATES = [
  'nginx.conf',
  'Caddyfile',
  'apache2.conf',
  'lighttpd.conf',
  'haproxy.cfg',
  'fcgi-app.socket',
  'fcgi-app.service',
];

export default defineConfig({
  // cli.ts keeps its "#!/usr/bin/env node" line: esbuild preserves an entry's hashbang.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  async onSuccess() {
    for (const name of TEMPLATES) cpSync(`../../examples/webservers/${name}`, `dist/templates/${name}`);
  },
});
