import { createServer } from 'node:http';
import { backendSocketPath, exitOnSignal } from '../backend-env';
import { expressApp } from '../express-app';

const server = createServer(expressApp());
server.listen(backendSocketPath());
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
