/**
 * Runs the authorizer: `FCGI_PORT=9000 AUTH_TOKENS=good:alice node dist/server.js`. TCP on 127.0.0.1,
 * because Apache's mod_authnz_fcgi only reaches authorizers over TCP (lighttpd takes either).
 */

import { serve } from '@fcgi/responder';
import { createAuthorizer, parseTokenTable } from './authorize';

const port = Number(process.env.FCGI_PORT ?? '9000');
if (!Number.isInteger(port) || port <= 0 || port >= 65536) {
  throw new Error(`FCGI_PORT must be a TCP port, not "${process.env.FCGI_PORT}"`);
}
const tokens = parseTokenTable(process.env.AUTH_TOKENS ?? 'good:alice');

// Roles other than Responder are opt-in. The Responder role stays so that a web server configured to
// use this app as a plain responder gets an answer that says what is wrong.
const server = await serve(createAuthorizer(tokens), {
  port,
  host: '127.0.0.1',
  roles: ['authorizer', 'responder'],
});
console.log(`authorizer listening on ${JSON.stringify(server.address)} with ${tokens.size} token(s)`);

const shutdown = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
