import { fileURLToPath } from 'node:url';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const repoRoot = here('../../../');
/**
 * The `fcgi` command the tests start (web servers exec it as `node <cliPath> serve <app>`): the built
 * CLI, which turbo builds before this suite runs (test/global-setup.ts checks it is there).
 */
export const cliPath = here('../../../packages/cli/dist/cli.js');
/** The app every test serves (plain JavaScript, no build). */
export const appPath = here('../../fixtures/app.mjs');
/** The configs shipped in examples/webservers/scale-out/ that the tests render. */
export const scaleOutDir = here('../../../examples/webservers/scale-out/');
export const nodePath = process.execPath;
