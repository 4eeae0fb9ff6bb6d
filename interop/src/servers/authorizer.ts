/**
 * lighttpd and Apache in front of the Authorizer example (examples/authorizer), each rendered from
 * that example's own config: the web server asks the authorizer about every request and serves the
 * protected static directory only when it answers 200.
 */

import { freePort } from '@fcgi/test-utils/processes';
import { paths } from '../paths';
import { renderTemplate } from '../render';
import type { RunDir } from '../run-dir';
import { launchWebServer } from './launch-server';
import type { RunningWebServer } from './types';

export interface AuthorizerSetup {
  /** The authorizer's TCP port on 127.0.0.1 (mod_authnz_fcgi only speaks TCP). */
  readonly authorizerPort: number;
  /** The protected static directory, readable by the web server's user. */
  readonly docRoot: string;
}

export type StartAuthorizedServer = (runDir: RunDir, setup: AuthorizerSetup) => Promise<RunningWebServer>;

export const startLighttpdAuthorizer: StartAuthorizedServer = async (runDir, setup) => {
  const port = await freePort();
  const config = renderTemplate(
    'lighttpd.conf',
    runDir.path,
    {
      listen_port: port,
      authorizer_port: setup.authorizerPort,
      doc_root: setup.docRoot,
      run_dir: runDir.path,
    },
    paths.authorizerExample,
  );
  return launchWebServer({
    name: 'lighttpd',
    command: 'lighttpd',
    args: ['-D', '-f', config],
    port,
    logFile: runDir.file('lighttpd-stdio.log'),
  });
};

export const startApache2Authorizer: StartAuthorizedServer = async (runDir, setup) => {
  const port = await freePort();
  const config = renderTemplate(
    'apache2.conf',
    runDir.path,
    {
      listen_port: port,
      authorizer_port: setup.authorizerPort,
      doc_root: setup.docRoot,
      run_dir: runDir.path,
    },
    paths.authorizerExample,
  );
  return launchWebServer({
    name: 'apache2',
    command: 'apache2',
    args: ['-f', config, '-DFOREGROUND'],
    port,
    logFile: runDir.file('apache2-stdio.log'),
  });
};
