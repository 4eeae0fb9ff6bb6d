// Replacing the global Response, as the framework adapters do by default: Hono, h3 and tRPC build their
// responses with `new Response(...)`, and the light Response is what the responder writes without web
// streams. The stand-in keeps every guarantee code relies on: its instances are `instanceof` the
// runtime's Response, the runtime's own responses (fetch() results, Response.error()) are `instanceof`
// the stand-in, and statics, body types and errors are the standard ones. One difference, as in
// `@hono/node-server`: a byte body is kept by reference, not copied. Holders are counted, so the
// runtime's class comes back when the last server that asked for the stand-in closes.

import { GlobalLightResponse, REPLACED_NATIVE } from './light-response';
import type { ServeResult } from './types';

let holders = 0;
let previous: PropertyDescriptor | undefined;

/**
 * Makes the global `Response` the light Response until the returned function is called (each holder
 * releases once; the global is restored when none is left). A global already replaced by another copy
 * of this package is left as it is.
 */
export function useLightResponseGlobally(): () => void {
  if (holders === 0 && !(REPLACED_NATIVE in globalThis.Response)) {
    previous = Object.getOwnPropertyDescriptor(globalThis, 'Response');
    Object.defineProperty(globalThis, 'Response', {
      configurable: true,
      enumerable: previous?.enumerable ?? false,
      writable: true,
      value: GlobalLightResponse,
    });
  }
  holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders--;
    if (holders === 0 && previous && globalThis.Response === GlobalLightResponse) {
      Object.defineProperty(globalThis, 'Response', previous);
      previous = undefined;
    }
  };
}

/** Whether the global Response is the light one right now (this copy's or another's). */
export function lightResponseIsGlobal(): boolean {
  return REPLACED_NATIVE in globalThis.Response;
}

/**
 * For adapters: starts a server with the global Response replaced, unless `override` is false, and
 * gives the global back when that server closes (or fails to start).
 */
export async function withLightResponseGlobally(
  override: boolean | undefined,
  start: () => Promise<ServeResult>,
): Promise<ServeResult> {
  const release = override === false ? undefined : useLightResponseGlobally();
  let server: ServeResult;
  try {
    server = await start();
  } catch (error) {
    release?.();
    throw error;
  }
  if (!release) return server;
  return {
    get address() {
      return server.address;
    },
    async close() {
      try {
        await server.close();
      } finally {
        release();
      }
    },
  };
}
