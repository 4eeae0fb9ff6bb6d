import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/server.ts', 'src/handler.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  // The @fcgi/* workspace packages are bundled from source, so the example runs without building them
  // first; the framework stays an ordinary external dependency.
  noExternal: [/^@fcgi\//],
  esbuildOptions(options) {
    options.conditions = ['@fcgi/source'];
  },
});
