/** Where the interop suite finds the repository's pieces it drives. */

import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const paths = {
  repoRoot,
  /** The config templates users copy (examples/webservers), rendered by the suite. */
  templates: `${repoRoot}examples/webservers/`,
  /** The Authorizer example: its lighttpd/Apache configs and the static directory they protect. */
  authorizerExample: `${repoRoot}examples/authorizer/`,
  /** The built conformance app (`pnpm build` makes it). */
  conformanceServer: `${repoRoot}examples/conformance/dist/server.js`,
  /** The conformance app as a default export, for `fcgi serve`. */
  conformanceHandler: `${repoRoot}examples/conformance/dist/handler.js`,
  /** The built `fcgi` command. */
  cli: `${repoRoot}packages/cli/dist/cli.js`,
  /** Matrix and the logs of failed columns, kept after the run. */
  results: `${repoRoot}interop/.results/`,
};
