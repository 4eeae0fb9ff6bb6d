import { serve } from '@fcgi/hono';
import { honoApp } from '../app';
import { backendSocketPath, exitOnSignal } from '../backend-env';

// `@fcgi/hono` with its defaults serving the very Hono app the @hono/node-server column serves.
const server = await serve(honoApp(), { socketPath: backendSocketPath() });
exitOnSignal(() => server.close());
