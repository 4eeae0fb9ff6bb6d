import type { FcgiClient } from '@fcgi/client';
import { serve as serveHandler } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTRPCHandler, serve } from '../src/index';
import { type AppRouter, appRouter, createContext, subscriptionEvents } from './router';

const harness = fastcgiHarness('trpc');
afterEach(() => harness.stop());

const url = 'http://localhost/trpc';

async function startRouter(): Promise<FcgiClient> {
  const { client } = await harness.start((socketPath) =>
    serve({ router: appRouter, endpoint: '/trpc', createContext }, { socketPath }),
  );
  return client;
}

function batchClient(fcgi: FcgiClient, onFetch: () => void = () => undefined) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url,
        fetch: (input, init) => {
          onFetch();
          return fcgi.fetch(input as string, init as RequestInit);
        },
      }),
    ],
  });
}

describe('serve() with @trpc/client over FastCGI', () => {
  it('answers a typed query', async () => {
    const trpc = batchClient(await startRouter());

    await expect(trpc.greet.query('Ada')).resolves.toBe('Hello, Ada!');
  });

  it('runs a mutation', async () => {
    const trpc = batchClient(await startRouter());

    await expect(trpc.add.mutate({ a: 2, b: 40 })).resolves.toBe(42);
  });

  it('sends concurrent calls as one batched FastCGI request', async () => {
    const onFetch = vi.fn();
    const trpc = batchClient(await startRouter(), onFetch);

    const results = await Promise.all([
      trpc.greet.query('one'),
      trpc.greet.query('two'),
      trpc.whoami.query(),
    ]);

    expect(results.slice(0, 2)).toEqual(['Hello, one!', 'Hello, two!']);
    expect(onFetch).toHaveBeenCalledTimes(1);
  });

  it('reports a TRPCError with its code and HTTP status', async () => {
    const trpc = batchClient(await startRouter());

    const error = await trpc.book.query('Dune').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).message).toBe('no book called Dune');
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  });

  it('reports invalid input as BAD_REQUEST', async () => {
    const trpc = batchClient(await startRouter());

    const error = await trpc.add.mutate({ a: 1 } as { a: number; b: number }).catch((e: unknown) => e);

    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
    });
  });

  it('gives createContext the fetch adapter arguments plus the FastCGI info as fcgi', async () => {
    const fcgi = await startRouter();
    const trpc = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url,
          fetch: (input, init) =>
            fcgi.fetch(input as string, {
              ...(init as RequestInit),
              params: { REMOTE_ADDR: '203.0.113.5', APP_STAGE: 'test' },
            }),
        }),
      ],
    });

    const seen = await trpc.whoami.query();

    expect(seen).toEqual({
      remoteAddress: '203.0.113.5',
      stage: 'test',
      hasReq: true,
      hasResHeaders: true,
      trpcCalls: 1,
      requestId: expect.any(Number),
    });
  });

  it('sends headers that a procedure adds to resHeaders', async () => {
    const fcgi = await startRouter();
    const response = await fcgi.fetch(`${url}/setFlavour`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('mint'),
    });

    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(['flavour=mint; Path=/']);
    await response.arrayBuffer();
  });

  it('streams an async generator query through httpBatchStreamLink', async () => {
    const fcgi = await startRouter();
    const trpc = createTRPCClient<AppRouter>({
      links: [
        httpBatchStreamLink({
          url,
          fetch: (input, init) => fcgi.fetch(input as string, init as RequestInit),
        }),
      ],
    });

    const values: number[] = [];
    for await (const value of await trpc.countdown.query(3)) values.push(value);

    expect(values).toEqual([3, 2, 1]);
  });

  it('delivers subscription events over SSE and ends the subscription when the client unsubscribes', async () => {
    subscriptionEvents.length = 0;
    const fcgi = await startRouter();
    const trpc = createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({
            url,
            EventSource,
            eventSourceOptions: { fetch: (input, init) => fcgi.fetch(input, init as RequestInit) },
          }),
          false: httpBatchLink({
            url,
            fetch: (input, init) => fcgi.fetch(input as string, init as RequestInit),
          }),
        }),
      ],
    });

    const values = await new Promise<number[]>((resolve, reject) => {
      const seen: number[] = [];
      const subscription = trpc.ticks.subscribe(3, {
        onData(value) {
          seen.push(value);
          if (seen.length === 3) {
            subscription.unsubscribe();
            resolve(seen);
          }
        },
        onError: reject,
      });
    });

    expect(values).toEqual([1, 2, 3]);
    await vi.waitFor(() => expect(subscriptionEvents).toEqual(['started', 'ended']), { timeout: 10_000 });
  });

  it('answers 404 for a path outside the endpoint instead of running a procedure', async () => {
    const fcgi = await startRouter();

    const response = await fcgi.fetch('/elsewhere/greet?input=%22x%22');

    expect(response.status).toBe(404);
    expect(await response.text()).toBe('Not Found\n');
  });

  it('gives a handler that can sit beside other routes', async () => {
    const trpcHandler = createTRPCHandler({ router: appRouter, endpoint: '/api/trpc', createContext });
    const { client } = await harness.start((socketPath) =>
      serveHandler(
        (request, info) =>
          new URL(request.url).pathname === '/health' ? new Response('ok') : trpcHandler(request, info),
        { socketPath },
      ),
    );
    const trpc = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: 'http://localhost/api/trpc',
          fetch: (input, init) => client.fetch(input as string, init as RequestInit),
        }),
      ],
    });

    const health = await client.fetch('/health');

    expect(await health.text()).toBe('ok');
    await expect(trpc.greet.query('neighbour')).resolves.toBe('Hello, neighbour!');
  });
});
