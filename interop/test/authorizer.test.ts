/**
 * The FastCGI Authorizer role through real web servers: the Authorizer example (examples/authorizer)
 * behind lighttpd (mod_fastcgi "mode" => "authorizer") and Apache (mod_authnz_fcgi), each configured
 * from the example's own config, protecting the example's static directory.
 */

import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuthorizer, parseTokenTable, USER_VARIABLE } from '@fcgi/example-authorizer';
import { type RequestInfo, type RoleName, type ServeResult, serve } from '@fcgi/responder';
import { freePort } from '@fcgi/test-utils/processes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fetchRaw, type HttpResponse } from '../src/http-client';
import { paths } from '../src/paths';
import { createRunDir, type RunDir } from '../src/run-dir';
import {
  type StartAuthorizedServer,
  startApache2Authorizer,
  startLighttpdAuthorizer,
} from '../src/servers/authorizer';
import type { RunningWebServer } from '../src/servers/types';

interface AuthorizingServer {
  name: string;
  start: StartAuthorizedServer;
  /** Why the authorizer's own response headers do not reach a denied client, if they do not. */
  dropsDenialHeaders?: string;
}

const servers: AuthorizingServer[] = [
  {
    name: 'lighttpd',
    start: startLighttpdAuthorizer,
    dropsDenialHeaders: 'lighttpd 1.4.69 sends only the status and body of a denial',
  },
  { name: 'apache2', start: startApache2Authorizer },
];

const protectedIndex = readFileSync(join(paths.authorizerExample, 'docroot', 'index.html'), 'utf8');

describe.each(servers)('Authorizer behind $name', (server: AuthorizingServer) => {
  let runDir: RunDir;
  let authorizer: ServeResult;
  let web: RunningWebServer;
  const roles: RoleName[] = [];

  beforeAll(async () => {
    runDir = createRunDir(`authorizer-${server.name}`);
    // A copy inside the run dir: Apache's workers (www-data) must be able to read it.
    const docRoot = runDir.file('docs');
    cpSync(join(paths.authorizerExample, 'docroot'), docRoot, { recursive: true });
    const authorize = createAuthorizer(parseTokenTable('good:alice'));
    const authorizerPort = await freePort();
    authorizer = await serve(
      (request: Request, info: RequestInfo) => {
        roles.push(info.role);
        return authorize(request, info);
      },
      { port: authorizerPort, host: '127.0.0.1', roles: ['authorizer', 'responder'] },
    );
    web = await server.start(runDir, { authorizerPort, docRoot });
  });

  afterAll(async () => {
    await web?.stop();
    await authorizer?.close();
    runDir?.remove();
  });

  const get = (path: string, token?: string): Promise<HttpResponse> =>
    fetchRaw(web.baseUrl, {
      path,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  test('an allowed request reaches the protected static file', async () => {
    const response = await get('/', 'good');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(protectedIndex);
  });

  test(`the authorizer's Variable-${USER_VARIABLE} is visible to the protected content`, async () => {
    const response = await get('/whoami.shtml', 'good');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('signed in as alice\n');
  });

  test("a request without a token gets the authorizer's status and body", async () => {
    const response = await get('/');
    expect(response.status).toBe(401);
    expect(response.body.toString()).toBe('missing bearer token\n');
  });

  test("an unknown token gets the authorizer's status and body, never the protected file", async () => {
    const response = await get('/whoami.shtml', 'bad');
    expect(response.status).toBe(401);
    expect(response.body.toString()).toBe('unknown bearer token\n');
  });

  const denialHeaders = "a denial keeps the authorizer's WWW-Authenticate header";
  if (server.dropsDenialHeaders) {
    test.skip(`${denialHeaders} (skipped: ${server.dropsDenialHeaders})`, () => {});
  } else {
    test(denialHeaders, async () => {
      const response = await get('/', 'bad');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="docs"');
    });
  }

  test('the web server asks in the Authorizer role', async () => {
    roles.length = 0;
    await get('/', 'good');
    expect(roles.length).toBeGreaterThan(0);
    expect(new Set(roles)).toEqual(new Set(['authorizer']));
  });
});
