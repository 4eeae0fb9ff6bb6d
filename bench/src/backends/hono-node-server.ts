import { createAdaptorServer } from '@hono/node-server';
import { honoApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

const server = createAdaptorServer({ fetch: honoApp().fetch });
server.listen(backendSocketPath());
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
