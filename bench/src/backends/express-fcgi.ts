import { serve } from '@fcgi/node';
import { backendSocketPath, exitOnSignal } from '../backend-env';
import { expressApp } from '../express-app';

const server = await serve(expressApp(), { socketPath: backendSocketPath() });
exitOnSignal(() => server.close());
