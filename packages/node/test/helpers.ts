import type { ServeOptions } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import { afterEach } from 'vitest';
import { type NodeApp, serve } from '../src/index';

/** Serves `app` over FastCGI on a unix socket per test, and a client for it (REMOTE_ADDR/PORT set). */
export function nodeHarness(name: string) {
  const harness = fastcgiHarness(name);
  afterEach(() => harness.stop());
  return {
    async start(app: NodeApp, options: ServeOptions = {}) {
      const running = await harness.start((socketPath) => serve(app, { ...options, socketPath }));
      return running;
    },
  };
}

/** Resolves on the next turn of the event loop after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
