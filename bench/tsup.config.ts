import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/run.ts',
    'src/micro.ts',
    'src/memory.ts',
    'src/profile.ts',
    'src/rerender.ts',
    'src/micro-client.ts',
    'src/idle-client.ts',
    'src/backends/*.ts',
  ],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Backends must load the packages as published (dist), not a bundled copy.
  skipNodeModulesBundle: true,
  // The shared test harness is TypeScript source with no build of its own: bundled in.
  noExternal: ['@fcgi/test-utils'],
});
