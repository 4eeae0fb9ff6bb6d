import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/server.ts', 'src/app.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  // The @fcgi/* workspace packages are bundled from source, so the example runs without building them
  // first; Express and multer stay ordinary external dependencies.
  noExternal: [/^@fcgi\//],
  esbuildOptions(options) {
    options.conditions = ['@fcgi/source'];
  },
});
