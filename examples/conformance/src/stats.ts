/**
 * Counters the interop suite reads through GET /__stats (enabled only with FCGI_STATS=1) to prove
 * behaviour it cannot see from the HTTP side: backend connection reuse, requests still in a handler
 * during a graceful close, and handlers whose signal fired before their response was complete.
 */

export interface AppStats {
  /** FastCGI connections accepted since start. */
  connections: number;
  /** Requests whose handler has been called (GET /__stats itself not counted). */
  requests: number;
  /** Requests whose handler has been called and has not yet returned a Response. */
  inFlight: number;
  /** Handlers whose request.signal aborted before their response body was complete. */
  aborted: number;
}

export function createStats(): AppStats {
  return { connections: 0, requests: 0, inFlight: 0, aborted: 0 };
}
