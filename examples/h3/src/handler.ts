import { createH3Handler } from '@fcgi/h3';
import { createApp } from './app';

/** The app as a FastCGI handler, for `fcgi serve` / `fcgi dev` (see `pnpm dev`). */
export default createH3Handler(createApp());
