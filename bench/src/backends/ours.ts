import { Response as LightResponse, serve } from '@fcgi/responder';
import { createFetchApp, fetchApp, honoApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

// BENCH_APP=hono serves the Hono app instead of the plain handler, to separate framework from bridge;
// BENCH_APP=light answers with the responder's opt-in light Response instead of the global one.
const apps: Record<string, (request: Request) => Response | Promise<Response>> = {
  plain: fetchApp,
  hono: honoApp().fetch,
  light: createFetchApp(LightResponse),
};
const handler = apps[process.env.BENCH_APP ?? 'plain'] ?? fetchApp;
const server = await serve((request) => handler(request), { socketPath: backendSocketPath() });
exitOnSignal(() => server.close());
