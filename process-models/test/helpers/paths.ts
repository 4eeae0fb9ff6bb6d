import { fileURLToPath } from 'node:url';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const repoRoot = here('../../../');
/**
 * The `fcgi` command the tests start (web servers exec it as `node <cliPath> serve <app>`): a bundle
 * of packages/cli's source made by test/global-setup.ts. Same code as packages/cli/dist/cli.js.
 */
export const builtCliPath = here('../../.cache/fcgi-cli.mjs');
export const cliPath = builtCliPath;
/** The app every test serves (plain JavaScript, no build). */
export const appPath = here('../../fixtures/app.mjs');
/** The configs shipped in examples/webservers/scale-out/ that the tests render. */
export const scaleOutDir = here('../../../examples/webservers/scale-out/');
export const nodePath = process.execPath;
