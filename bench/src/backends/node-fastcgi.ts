import type { IncomingMessage, ServerResponse } from 'node:http';
import fcgi from 'node-fastcgi';
import { nodeApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

const server = fcgi.createServer((req, res) => nodeApp(req as IncomingMessage, res as ServerResponse));
server.listen(backendSocketPath());
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
