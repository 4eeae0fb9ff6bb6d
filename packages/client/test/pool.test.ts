import { describe, expect, test } from 'vitest';
import { Pool, type Poolable } from '../src/pool';

/** A connection double: reusable until destroyed or marked broken. */
class TestConnection implements Poolable {
  static created = 0;
  readonly id = ++TestConnection.created;
  destroyed = false;
  broken = false;
  #gone!: () => void;
  /** Resolves when the pool destroys this connection. */
  readonly gone = new Promise<void>((resolve) => {
    this.#gone = resolve;
  });
  get reusable(): boolean {
    return !this.destroyed && !this.broken;
  }
  destroy(): void {
    this.destroyed = true;
    this.#gone();
  }
}

function opener(): { create: () => Promise<TestConnection>; opened: TestConnection[] } {
  const opened: TestConnection[] = [];
  return {
    opened,
    create: async () => {
      const connection = new TestConnection();
      opened.push(connection);
      return connection;
    },
  };
}

describe('Pool', () => {
  test('rejects a size that is not a positive integer', () => {
    expect(() => new Pool(0, opener().create)).toThrow(RangeError);
    expect(() => new Pool(1.5, opener().create)).toThrow(/positive integer/);
  });

  test('hands out the most recently released idle connection first', async () => {
    const { create } = opener();
    const pool = new Pool(3, create);
    const a = (await pool.acquire()).connection;
    const b = (await pool.acquire()).connection;
    pool.release(a);
    pool.release(b);
    const next = await pool.acquire();
    expect(next).toEqual({ connection: b, reused: true });
  });

  test('queued requests are served in arrival order as connections come back', async () => {
    const { create, opened } = opener();
    const pool = new Pool(1, create);
    const first = (await pool.acquire()).connection;
    const order: string[] = [];
    const second = pool.acquire().then((lease) => {
      order.push('second');
      return lease.connection;
    });
    const third = pool.acquire().then((lease) => {
      order.push('third');
      return lease.connection;
    });
    pool.release(first);
    pool.release(await second);
    await third;
    expect(order).toEqual(['second', 'third']);
    expect(opened).toHaveLength(1);
  });

  test('a connection that is not reusable is destroyed and its slot opens a new one for a waiter', async () => {
    const { create, opened } = opener();
    const pool = new Pool(1, create);
    const first = (await pool.acquire()).connection;
    const waiting = pool.acquire();
    first.broken = true;
    pool.release(first);
    const lease = await waiting;
    expect(first.destroyed).toBe(true);
    expect(lease.reused).toBe(false);
    expect(opened).toHaveLength(2);
  });

  test('a failed connect rejects its caller and frees the slot', async () => {
    let fail = true;
    const pool = new Pool(1, async () => {
      if (fail) throw new Error('refused');
      return new TestConnection();
    });
    await expect(pool.acquire()).rejects.toThrow('refused');
    fail = false;
    await expect(pool.acquire()).resolves.toMatchObject({ reused: false });
  });

  test('an aborted waiter leaves the queue', async () => {
    const { create } = opener();
    const pool = new Pool(1, create);
    const first = (await pool.acquire()).connection;
    const controller = new AbortController();
    const abandoned = pool.acquire(controller.signal);
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    pool.release(first);
    expect(pool.idleCount).toBe(1);
  });

  test('shouldPark returning false closes a connection nobody waits for', async () => {
    const { create } = opener();
    const pool = new Pool(2, create, () => false);
    const lease = await pool.acquire();
    pool.release(lease.connection);
    expect(lease.connection.destroyed).toBe(true);
    expect(pool.size).toBe(0);
  });

  test('shouldPark returning a delay keeps the connection idle, then asks again once the delay has passed', async () => {
    const { create } = opener();
    const decisions = [5, false];
    const asked: boolean[] = [];
    const pool = new Pool(2, create, (connection) => {
      asked.push(connection.destroyed);
      return decisions.shift() ?? true;
    });
    const lease = await pool.acquire();
    pool.release(lease.connection);
    expect(pool.idleCount).toBe(1);
    expect(lease.connection.destroyed).toBe(false);
    await lease.connection.gone;
    expect(asked).toEqual([false, false]);
    expect(pool.size).toBe(0);
  });

  test('shouldPark sees the busy connections, not the one being parked', async () => {
    const { create } = opener();
    const seen: TestConnection[][] = [];
    const pool = new Pool(3, create, (_connection, busy) => {
      seen.push([...busy]);
      return true;
    });
    const parked = (await pool.acquire()).connection;
    const busy = (await pool.acquire()).connection;
    pool.release(parked);
    expect(seen).toEqual([[busy]]);
  });

  test('closeIdle() destroys the idle connections and leaves the busy ones', async () => {
    const { create } = opener();
    const pool = new Pool(2, create);
    const idle = (await pool.acquire()).connection;
    const busy = (await pool.acquire()).connection;
    pool.release(idle);
    pool.closeIdle();
    expect(idle.destroyed).toBe(true);
    expect(busy.destroyed).toBe(false);
    expect(pool.size).toBe(1);
    expect((await pool.acquire()).connection).not.toBe(idle);
  });

  test('an idle connection is destroyed after idleTimeout, unless taken before', async () => {
    const { create } = opener();
    const pool = new Pool(2, create, undefined, 30);
    const kept = (await pool.acquire()).connection;
    const left = (await pool.acquire()).connection;
    pool.release(left);
    pool.release(kept);
    expect((await pool.acquire()).connection).toBe(kept);
    await left.gone;
    expect(kept.destroyed).toBe(false);
    expect(pool.size).toBe(1);
  });

  test('close() destroys idle connections, refuses new acquires, and resolves once busy ones return', async () => {
    const { create } = opener();
    const pool = new Pool(2, create);
    const idle = (await pool.acquire()).connection;
    const busy = (await pool.acquire()).connection;
    pool.release(idle);
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    expect(idle.destroyed).toBe(true);
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await Promise.resolve();
    expect(closed).toBe(false);
    pool.release(busy);
    await closing;
    expect(busy.destroyed).toBe(true);
  });

  test('acquires beyond maxQueued waiting ones reject with QUEUE_FULL; queued ones are still served', async () => {
    const { create } = opener();
    const pool = new Pool(1, create, undefined, 0, 1);
    const busy = (await pool.acquire()).connection;
    const queued = pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    pool.release(busy);
    expect((await queued).connection).toBe(busy);
  });
});
