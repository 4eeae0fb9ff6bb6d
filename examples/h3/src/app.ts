import { getRequestInfo } from '@fcgi/h3';
import { createEventStream, getRequestIP, H3, HTTPError, readBody } from 'h3';

interface Note {
  id: number;
  text: string;
}

function parseNewNote(body: unknown): Pick<Note, 'text'> {
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new HTTPError({ status: 400, message: 'body must be JSON like {"text": "call Bob"}' });
  }
  return { text: text.trim() };
}

/** A small notes API: routes with params, JSON in and out, HTTP errors, and a server-sent event stream. */
export function createApp(): H3 {
  const notes = new Map<number, Note>([[1, { id: 1, text: 'try FastCGI' }]]);
  let nextId = 2;

  return (
    new H3()
      .get('/', () => 'Hello from h3 over FastCGI\n')
      .get('/notes', () => [...notes.values()])
      .get('/notes/:id', (event) => {
        const id = event.context.params?.id;
        const note = notes.get(Number(id));
        if (!note) throw new HTTPError({ status: 404, message: `no note with id ${id}` });
        return note;
      })
      .post('/notes', async (event) => {
        const body = await readBody(event).catch(() => {
          throw new HTTPError({ status: 400, message: 'body is not valid JSON' });
        });
        const note: Note = { id: nextId++, ...parseNewNote(body) };
        notes.set(note.id, note);
        event.res.status = 201;
        event.res.headers.set('location', `/notes/${note.id}`);
        return note;
      })
      // Who is asking, as the web server saw it: h3's getRequestIP is REMOTE_ADDR; the raw CGI params
      // are on event.runtime.fcgi (getRequestInfo reads them).
      .get('/whoami', (event) => ({
        address: getRequestIP(event),
        server: getRequestInfo(event)?.params.SERVER_SOFTWARE,
      }))
      // Server-sent events counting down, one every 200 ms (the stream sets X-Accel-Buffering: no for nginx).
      .get('/countdown', (event) => {
        const from = Math.min(Number(event.url.searchParams.get('from') ?? 5) || 5, 100);
        const stream = createEventStream(event);
        let timer: NodeJS.Timeout | undefined;
        const tick = async (n: number): Promise<void> => {
          await stream.push({ id: String(from - n + 1), event: 'count', data: String(n) });
          if (n > 1) timer = setTimeout(() => void tick(n - 1), 200);
          else await stream.close();
        };
        stream.onClosed(() => clearTimeout(timer));
        void tick(from);
        return stream.send();
      })
  );
}
