import type { RequestInfo } from '@fcgi/responder';

/** The bindings a Hono app served by `@fcgi/hono` receives as `c.env`: the FastCGI request info. */
export type FcgiBindings = RequestInfo;

/** Hono's `Env` type for an app served over FastCGI: `new Hono<FcgiEnv>()` types `c.env`. */
export interface FcgiEnv {
  Bindings: FcgiBindings;
}

/**
 * Whether a Hono `c.env` is the info `serve()` passes. Checked by shape, because apps may also be run
 * by other adapters (tests with `app.request()`, another runtime) where `c.env` is something else.
 */
export function isRequestInfo(env: unknown): env is RequestInfo {
  if (typeof env !== 'object' || env === null) return false;
  const candidate = env as Partial<Record<keyof RequestInfo, unknown>>;
  return (
    typeof candidate.requestId === 'number' &&
    typeof candidate.params === 'object' &&
    candidate.params !== null
  );
}
