/** A caller queued for a connection lease; `detach` drops its abort listener once it is served. */
export interface Waiter<L> {
  resolve(lease: L): void;
  reject(error: unknown): void;
  detach(): void;
}

/**
 * Queues a caller on `waiters` until a pool serves it. Aborting `signal` takes the caller out of the
 * queue through `remove` (so the pool can notice it drained) and rejects with the signal's reason.
 */
export function enqueueWaiter<L>(
  waiters: Array<Waiter<L>>,
  signal: AbortSignal | undefined,
  remove: (waiter: Waiter<L>) => void,
): Promise<L> {
  return new Promise<L>((resolve, reject) => {
    const onAbort = () => {
      remove(waiter);
      reject(signal?.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    };
    const waiter: Waiter<L> = {
      resolve,
      reject,
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push(waiter);
  });
}
