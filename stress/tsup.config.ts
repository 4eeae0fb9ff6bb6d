import { defineConfig } from 'tsup';

// The soak runs as plain JavaScript. The @fcgi packages are bundled from their sources (the
// "@fcgi/source" condition), so a soak measures the tree as it is without building them first;
// esbuild stays external: the soak bundles the server fixture with it at run time.
export default defineConfig({
  entry: ['src/soak.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  noExternal: [/^@fcgi\//],
  external: ['esbuild'],
  esbuildOptions(options) {
    options.conditions = ['@fcgi/source'];
  },
});
