import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

const resultsDir = fileURLToPath(new URL('./.test-results/', import.meta.url));
// One report per package and Node line: scripts/test-all.sh runs the unit suites on several lines.
const nodeLine = `node${process.versions.node.split('.')[0]}`;

/**
 * The vitest config every workspace package uses. Sibling packages resolve to their src/ through the
 * "@fcgi/source" export condition, and each run also writes a JSON report that scripts/test-totals.mjs totals.
 */
export function packageTestConfig(name: string, overrides: ViteUserConfig = {}): ViteUserConfig {
  const base = defineConfig({
    resolve: { conditions: ['@fcgi/source'] },
    ssr: { resolve: { conditions: ['@fcgi/source'] } },
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      reporters: ['default', 'json'],
      outputFile: { json: `${resultsDir}${name.replace(/[@/]/g, '_')}.${nodeLine}.json` },
    },
  });
  return mergeConfig(base, overrides);
}
