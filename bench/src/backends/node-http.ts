import { createServer } from 'node:http';
import { nodeApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

const server = createServer(nodeApp);
server.listen(backendSocketPath());
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
