import { createHonoHandler } from '@fcgi/hono';
import { createApp } from './app';

/** The app as a FastCGI handler, for `fcgi serve` / `fcgi dev` (see `pnpm dev`). */
export default createHonoHandler(createApp());
