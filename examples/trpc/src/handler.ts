import { createTRPCHandler } from '@fcgi/trpc';
import { createContext, createRouter } from './router';

/** The router as a FastCGI handler, for `fcgi serve` / `fcgi dev` (see `pnpm dev`). */
export default createTRPCHandler({ router: createRouter(), endpoint: '/trpc', createContext });
