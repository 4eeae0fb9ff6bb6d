/**
 * The FastCGI Authorizer (spec §6.3): the web server sends it the request's params, no body. A 200
 * answer lets the request through to the protected content, and each `Variable-NAME` header becomes
 * the variable NAME the web server hands on (lighttpd and Apache put it in the environment of what
 * serves the request). Any other answer is sent to the client as the denial.
 */

import type { RequestInfo } from '@fcgi/responder';

/** The variable the web server receives with the authorized user's name. */
export const USER_VARIABLE = 'AUTHZ_USER';

/** Bearer token → user name. */
export type TokenTable = ReadonlyMap<string, string>;

/** `"token:user,token2:user2"` (the AUTH_TOKENS environment variable) as a token table. */
export function parseTokenTable(text: string): TokenTable {
  const table = new Map<string, string>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new Error(`AUTH_TOKENS entry "${trimmed}" is not "token:user"`);
    }
    table.set(trimmed.slice(0, colon), trimmed.slice(colon + 1));
  }
  return table;
}

const BEARER = /^Bearer\s+(\S+)$/i;

function denial(message: string): Response {
  return new Response(`${message}\n`, {
    status: 401,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="docs"' },
  });
}

export function createAuthorizer(tokens: TokenTable) {
  return (request: Request, info: RequestInfo): Response => {
    if (info.role !== 'authorizer') {
      // Configured as a plain responder by mistake: say so instead of serving an empty 200 page.
      return new Response('this app is a FastCGI Authorizer: configure the web server to use it as one\n', {
        status: 500,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      });
    }
    const header = request.headers.get('authorization');
    if (header === null) return denial('missing bearer token');
    const token = BEARER.exec(header)?.[1];
    const user = token === undefined ? undefined : tokens.get(token);
    if (user === undefined) return denial('unknown bearer token');
    return new Response(null, { status: 200, headers: { [`Variable-${USER_VARIABLE}`]: user } });
  };
}
