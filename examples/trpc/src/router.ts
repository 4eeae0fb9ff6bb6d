import type { FcgiCreateContextFnOptions } from '@fcgi/trpc';
import { initTRPC, TRPCError } from '@trpc/server';

export interface Context {
  /** The HTTP client's address as the web server saw it (REMOTE_ADDR). */
  clientAddress: string | undefined;
  serverSoftware: string | undefined;
}

/** tRPC's context from the FastCGI request: `fcgi` is the request info @fcgi/trpc adds. */
export function createContext({ fcgi }: FcgiCreateContextFnOptions): Context {
  return { clientAddress: fcgi.remoteAddress, serverSoftware: fcgi.params.SERVER_SOFTWARE };
}

export interface Book {
  id: number;
  title: string;
}

function idInput(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('id must be a positive integer');
  }
  return value;
}

function newBookInput(value: unknown): { title: string } {
  const title = (value as { title?: unknown } | null)?.title;
  if (typeof title !== 'string' || title.trim() === '') throw new Error('title must be a non-empty string');
  return { title: title.trim() };
}

function countInput(value: unknown): number {
  const count = value === undefined ? 5 : value;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 100) {
    throw new Error('count must be an integer from 1 to 100');
  }
  return count;
}

const t = initTRPC.context<Context>().create();

/** A small book shelf: queries with input, a mutation, a NOT_FOUND error, and a subscription over SSE. */
export function createRouter() {
  const books = new Map<number, Book>([[1, { id: 1, title: 'FastCGI Specification' }]]);
  let nextId = 2;

  return t.router({
    books: t.router({
      list: t.procedure.query(() => [...books.values()]),
      byId: t.procedure.input(idInput).query(({ input }) => {
        const book = books.get(input);
        if (!book) throw new TRPCError({ code: 'NOT_FOUND', message: `no book with id ${input}` });
        return book;
      }),
      add: t.procedure.input(newBookInput).mutation(({ input }) => {
        const book: Book = { id: nextId++, title: input.title };
        books.set(book.id, book);
        return book;
      }),
    }),
    whoami: t.procedure.query(({ ctx }) => ctx),
    // One event every 200 ms; tRPC streams it as server-sent events and stops when the client leaves.
    countdown: t.procedure.input(countInput).subscription(async function* ({ input, signal }) {
      for (let n = input; n > 0; n--) {
        yield n;
        if (n > 1) await sleep(200, signal);
      }
    }),
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export type AppRouter = ReturnType<typeof createRouter>;
