import type { RequestInfo } from '@fcgi/responder';
import { initTRPC, TRPCError } from '@trpc/server';
import type { FcgiCreateContextFnOptions } from '../src/index';

export interface Context {
  remoteAddress: string | undefined;
  stage: string | undefined;
  /** What createContext received, so tests can check the adapter's arguments. */
  received: { hasReq: boolean; hasResHeaders: boolean; trpcCalls: number; fcgi: RequestInfo };
  resHeaders: Headers;
}

export function createContext({ req, resHeaders, info, fcgi }: FcgiCreateContextFnOptions): Context {
  return {
    remoteAddress: fcgi.remoteAddress,
    stage: fcgi.params.APP_STAGE,
    received: {
      hasReq: req instanceof Request,
      hasResHeaders: resHeaders instanceof Headers,
      trpcCalls: info.calls.length,
      fcgi,
    },
    resHeaders,
  };
}

const t = initTRPC.context<Context>().create();

function stringInput(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Error('expected a non-empty string');
  return value;
}

function pairInput(value: unknown): { a: number; b: number } {
  const pair = value as { a?: unknown; b?: unknown } | null;
  if (typeof pair?.a !== 'number' || typeof pair.b !== 'number')
    throw new Error('expected { a: number, b: number }');
  return { a: pair.a, b: pair.b };
}

/** Tracks server-side subscription lifecycles so tests can see one end when the client leaves. */
export const subscriptionEvents: string[] = [];

export const appRouter = t.router({
  greet: t.procedure.input(stringInput).query(({ input }) => `Hello, ${input}!`),
  whoami: t.procedure.query(({ ctx }) => ({
    remoteAddress: ctx.remoteAddress,
    stage: ctx.stage,
    hasReq: ctx.received.hasReq,
    hasResHeaders: ctx.received.hasResHeaders,
    trpcCalls: ctx.received.trpcCalls,
    requestId: ctx.received.fcgi.requestId,
  })),
  add: t.procedure.input(pairInput).mutation(({ input }) => input.a + input.b),
  setFlavour: t.procedure.input(stringInput).mutation(({ input, ctx }) => {
    ctx.resHeaders.append('set-cookie', `flavour=${input}; Path=/`);
    return 'ok';
  }),
  book: t.procedure.input(stringInput).query(({ input }) => {
    throw new TRPCError({ code: 'NOT_FOUND', message: `no book called ${input}` });
  }),
  countdown: t.procedure
    .input((value: unknown) => Number(value))
    .query(async function* ({ input }) {
      for (let i = input; i > 0; i--) yield i;
    }),
  ticks: t.procedure
    .input((value: unknown) => Number(value))
    .subscription(async function* ({ input, signal }) {
      subscriptionEvents.push('started');
      try {
        for (let i = 1; i <= input; i++) yield i;
        // Stay subscribed until the client goes away.
        await new Promise<void>((resolve) => {
          if (signal?.aborted) resolve();
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        subscriptionEvents.push('ended');
      }
    }),
});

export type AppRouter = typeof appRouter;
