import express from 'express';
import { BINARY_TYPE, bytesBody, HELLO_BODY } from './app';

/** Largest /echo body the bench sends is 64 KiB; Express's own default limit (100 KiB) would do too. */
const ECHO_LIMIT = '1mb';

/**
 * The bench app written with Express 5, as an Express user would write it (express.raw() for the
 * echoed body, res.send()). The express-http and express-fcgi columns serve this very app, so the only
 * difference between them is node:http behind proxy_pass against @fcgi/node behind fastcgi_pass.
 */
export function expressApp(): express.Express {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.type('text/plain').send(HELLO_BODY);
  });
  app.post('/echo', express.raw({ type: () => true, limit: ECHO_LIMIT }), (req, res) => {
    res.type(BINARY_TYPE).send(req.body as Buffer);
  });
  app.get('/bytes', (req, res) => {
    const query = req.url.slice(req.url.indexOf('?') + 1);
    const body = bytesBody(query);
    if (body) res.type(BINARY_TYPE).send(body);
    else res.status(400).send('bad n\n');
  });
  return app;
}
