import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/app.ts', 'src/start.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  // @fcgi/responder is bundled from source, so `pnpm start` works right after this package's build.
  noExternal: [/^@fcgi\//],
  esbuildOptions(options) {
    options.conditions = ['@fcgi/source'];
  },
});
