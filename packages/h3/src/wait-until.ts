/**
 * Tracks the promises an app hands to `event.waitUntil()` so that closing the server lets them finish,
 * as srvx does on Node. A rejection is logged, never left unhandled.
 */
export interface WaitUntilTracker {
  waitUntil(promise: Promise<unknown>): void;
  /** Resolves once every tracked promise has settled, or after `timeoutMs`, whichever comes first. */
  settle(timeoutMs: number): Promise<void>;
}

export function createWaitUntilTracker(): WaitUntilTracker {
  const pending = new Set<Promise<void>>();
  return {
    waitUntil(promise) {
      if (typeof promise?.then !== 'function') return;
      const tracked: Promise<void> = Promise.resolve(promise)
        .then(
          () => undefined,
          (error: unknown) => console.error('[@fcgi/h3] a waitUntil() promise rejected:', error),
        )
        .finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async settle(timeoutMs) {
      if (pending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([Promise.all(pending), timeout]);
      clearTimeout(timer);
    },
  };
}
