import { serve } from '@fcgi/responder';
import { fetchApp, honoApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

// BENCH_APP=hono serves the Hono app instead of the plain handler, to separate framework from bridge.
const handler = process.env.BENCH_APP === 'hono' ? honoApp().fetch : fetchApp;
const server = await serve((request) => handler(request), { socketPath: backendSocketPath() });
exitOnSignal(() => server.close());
