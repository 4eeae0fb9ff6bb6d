import { fileURLToPath } from 'node:url';
import { createClient, type FcgiClient } from '@fcgi/client';
import { type RunningExample, startExample } from '@fcgi/test-utils';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastCGITRPCClient } from '../src/trpc-client';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

let example: RunningExample;
let fcgi: FcgiClient;
let trpc: ReturnType<typeof createFastCGITRPCClient>;

beforeAll(async () => {
  example = await startExample(exampleDir);
  fcgi = createClient(example.socketPath);
  trpc = createFastCGITRPCClient(fcgi);
});

afterAll(async () => {
  await fcgi?.close();
  await example?.stop();
});

describe('the tRPC example, started as `pnpm start` does', () => {
  it('lists the books', async () => {
    await expect(trpc.books.list.query()).resolves.toContainEqual({ id: 1, title: 'FastCGI Specification' });
  });

  it('adds a book with a mutation and finds it by its id', async () => {
    const added = await trpc.books.add.mutate({ title: 'Lean Software' });

    await expect(trpc.books.byId.query(added.id)).resolves.toEqual(added);
  });

  it('reports a missing book as NOT_FOUND', async () => {
    const error = await trpc.books.byId.query(999).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  });

  it('reports invalid input as BAD_REQUEST', async () => {
    const error = await trpc.books.add.mutate({ title: ' ' }).catch((e: unknown) => e);

    expect((error as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('sees the client address through the FastCGI info in its context', async () => {
    const raw = await fcgi.fetch('http://localhost/trpc/whoami', { params: { REMOTE_ADDR: '192.0.2.46' } });

    expect(await raw.json()).toMatchObject({ result: { data: { clientAddress: '192.0.2.46' } } });
  });

  it('streams a subscription over server-sent events', async () => {
    const values = await new Promise<number[]>((resolve, reject) => {
      const seen: number[] = [];
      const subscription = trpc.countdown.subscribe(3, {
        onData(n) {
          seen.push(n);
          if (n === 1) {
            subscription.unsubscribe();
            resolve(seen);
          }
        },
        onError: reject,
      });
    });

    expect(values).toEqual([3, 2, 1]);
  });

  it('stops with exit code 0 on SIGTERM', async () => {
    const other = await startExample(exampleDir);

    expect(await other.stop()).toBe(0);
  });
});
