import { describe, expect, test } from 'vitest';
import { type Multiplexable, MultiplexPool } from '../src/multiplex-pool';

/** A connection double: takes requests until destroyed or barred. */
class TestConnection implements Multiplexable {
  destroyed = false;
  barred = false;
  get acceptsRequests(): boolean {
    return !this.destroyed && !this.barred;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** A connection factory whose connections open only when the test says so. */
function manualOpener() {
  const opening: Array<{ resolve: (connection: TestConnection) => void; reject: (error: Error) => void }> =
    [];
  const opened: TestConnection[] = [];
  return {
    opened,
    get pending() {
      return opening.length;
    },
    create: () =>
      new Promise<TestConnection>((resolve, reject) => {
        opening.push({ resolve, reject });
      }),
    openNext(): TestConnection {
      const connection = new TestConnection();
      opened.push(connection);
      opening.shift()!.resolve(connection);
      return connection;
    },
    failNext(error: Error): void {
      opening.shift()!.reject(error);
    },
  };
}

describe('MultiplexPool', () => {
  test('rejects a limit that is not a positive integer', () => {
    const { create } = manualOpener();
    expect(() => new MultiplexPool(create, { size: 1, perConnection: 0 })).toThrow(/maxMultiplexedRequests/);
    expect(() => new MultiplexPool(create, { size: 0, perConnection: 2 })).toThrow(/poolSize/);
  });

  test('requests arriving while the first connection opens all wait for it instead of opening more', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 4, perConnection: 10 });
    const leases = Array.from({ length: 10 }, () => pool.acquire());
    expect(opener.pending).toBe(1);
    const connection = opener.openNext();
    for (const lease of await Promise.all(leases)) expect(lease.connection).toBe(connection);
    expect(pool.activeOn(connection)).toBe(10);
  });

  test('a connection is filled up to perConnection before another is opened', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 4, perConnection: 2 });
    const leases = Array.from({ length: 5 }, () => pool.acquire());
    expect(opener.pending).toBe(3);
    const [a, b, c] = [opener.openNext(), opener.openNext(), opener.openNext()];
    const connections = (await Promise.all(leases)).map((lease) => lease.connection);
    expect(connections).toEqual([a, a, b, b, c]);
  });

  test('a released slot goes to the first waiting request when no connection can be added', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 1, perConnection: 1 });
    const first = pool.acquire();
    const connection = opener.openNext();
    await first;
    const second = pool.acquire();
    expect(opener.pending).toBe(0);
    pool.release(connection);
    expect(await second).toEqual({ connection, reused: true });
  });

  test('a barred connection takes no new request and is destroyed when its last request ends', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 2, perConnection: 4 });
    const leases = [pool.acquire(), pool.acquire()];
    const barred = opener.openNext();
    await Promise.all(leases);
    barred.barred = true;
    const next = pool.acquire();
    expect(opener.pending).toBe(1);
    const fresh = opener.openNext();
    expect((await next).connection).toBe(fresh);
    pool.release(barred);
    expect(barred.destroyed).toBe(false);
    pool.release(barred);
    expect(barred.destroyed).toBe(true);
    expect(pool.size).toBe(1);
  });

  test('a failed connect rejects the requests that were waiting for it', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 2, perConnection: 3 });
    const leases = [pool.acquire(), pool.acquire()];
    opener.failNext(new Error('refused'));
    for (const lease of leases) await expect(lease).rejects.toThrow('refused');
  });

  test('waiting beyond what connections being opened will take is bounded by maxQueued', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 1, perConnection: 2, maxQueued: 1 });
    const taken = [pool.acquire(), pool.acquire()];
    const queued = pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    const connection = opener.openNext();
    await Promise.all(taken);
    pool.release(connection);
    expect((await queued).connection).toBe(connection);
  });

  test('close(reason) rejects the waiting requests with reason and lets those in flight finish', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 1, perConnection: 1 });
    const taken = pool.acquire();
    const connection = opener.openNext();
    await taken;
    const waiting = pool.acquire();
    const reason = new Error('moved elsewhere');
    const closing = pool.close(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(connection.destroyed).toBe(false);
    pool.release(connection);
    await closing;
    expect(connection.destroyed).toBe(true);
  });

  test('close() waits for requests in flight, then destroys the connection', async () => {
    const opener = manualOpener();
    const pool = new MultiplexPool(opener.create, { size: 1, perConnection: 2 });
    const lease = pool.acquire();
    const connection = opener.openNext();
    await lease;
    const closing = pool.close();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(connection.destroyed).toBe(false);
    pool.release(connection);
    await closing;
    expect(connection.destroyed).toBe(true);
    expect(pool.close()).toBe(closing);
  });
});
