import { type FcgiEnv, getConnInfo } from '@fcgi/hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

function parseNewTodo(body: unknown): Pick<Todo, 'title'> {
  const title = (body as { title?: unknown } | null)?.title;
  if (typeof title !== 'string' || title.trim() === '') {
    throw new HTTPException(400, { message: 'body must be JSON like {"title": "buy milk"}' });
  }
  return { title: title.trim() };
}

/** A small todo API: routes with params, JSON in and out, errors as JSON, and a server-sent event stream. */
export function createApp(): Hono<FcgiEnv> {
  const todos = new Map<number, Todo>([[1, { id: 1, title: 'try FastCGI', done: false }]]);
  let nextId = 2;
  const app = new Hono<FcgiEnv>();

  app.get('/', (c) => c.text('Hello from Hono over FastCGI\n'));

  app.get('/todos', (c) => c.json([...todos.values()]));

  app.get('/todos/:id{[0-9]+}', (c) => {
    const todo = todos.get(Number(c.req.param('id')));
    if (!todo) throw new HTTPException(404, { message: `no todo with id ${c.req.param('id')}` });
    return c.json(todo);
  });

  app.post('/todos', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new HTTPException(400, { message: 'body is not valid JSON' });
    });
    const todo: Todo = { id: nextId++, ...parseNewTodo(body), done: false };
    todos.set(todo.id, todo);
    return c.json(todo, 201, { Location: `/todos/${todo.id}` });
  });

  // Who is asking, as the web server saw it: REMOTE_ADDR/REMOTE_PORT and the raw CGI params.
  app.get('/whoami', (c) => {
    const { remote } = getConnInfo(c);
    return c.json({ address: remote.address, port: remote.port, server: c.env.params.SERVER_SOFTWARE });
  });

  // Server-sent events, one every 200 ms. X-Accel-Buffering tells nginx to pass each one on at once.
  app.get('/clock', (c) => {
    const count = Math.min(Number(c.req.query('count') ?? 5) || 5, 100);
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      for (let id = 1; id <= count && !stream.aborted; id++) {
        await stream.writeSSE({ id: String(id), event: 'tick', data: new Date().toISOString() });
        if (id < count) await stream.sleep(200);
      }
    });
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    console.error(error);
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  return app;
}
