import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import express, { type ErrorRequestHandler } from 'express';
import multer from 'multer';

interface Note {
  id: number;
  text: string;
}

/** Uploads are kept in memory only to be measured: a real app would stream them to disk or storage. */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const MAX_REPORT_ROWS = 100_000;
const DEFAULT_REPORT_ROWS = 1000;
const ROWS_PER_WRITE = 1000;

const FORM_PAGE = `<!doctype html>
<title>Contact</title>
<form method="post" action="/contact">
  <label>Name <input name="name"></label>
  <label>Message <textarea name="message"></textarea></label>
  <button>Send</button>
</form>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input type="file" name="file"> <button>Upload</button>
</form>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * CSV rows generated a batch at a time, so the download streams instead of being built in memory (and
 * each write carries enough bytes to be worth a write).
 */
function* reportRows(count: number): Generator<string> {
  let batch = 'id,square\n';
  for (let id = 1; id <= count; id++) {
    batch += `${id},${id * id}\n`;
    if (id % ROWS_PER_WRITE === 0) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A small Express 5 app with nothing FastCGI-specific in it: a JSON API, an HTML form, a multipart
 * upload (multer), a streamed CSV download, and JSON errors. src/server.ts serves it over FastCGI.
 */
export function createApp(): express.Express {
  const notes = new Map<number, Note>([[1, { id: 1, text: 'try Express over FastCGI' }]]);
  let nextId = 2;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 },
  });
  const app = express();
  // The web server is the proxy in front: trust it for req.ip and req.protocol.
  app.set('trust proxy', 'loopback');

  app.get('/', (req, res) => {
    res.type('text/plain').send(`Hello from Express over FastCGI (you are ${req.ip})\n`);
  });

  app.get('/api/notes', (_req, res) => {
    res.json([...notes.values()]);
  });

  app.get('/api/notes/:id', (req, res) => {
    const note = notes.get(Number(req.params.id));
    if (!note) throw new HttpError(404, `no note with id ${req.params.id}`);
    res.json(note);
  });

  app.post('/api/notes', express.json(), (req, res) => {
    const text = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '') {
      throw new HttpError(400, 'body must be JSON like {"text": "buy milk"}');
    }
    const note = { id: nextId++, text: text.trim() };
    notes.set(note.id, note);
    res.status(201).location(`/api/notes/${note.id}`).json(note);
  });

  app.get('/contact', (_req, res) => {
    res.type('html').send(FORM_PAGE);
  });

  app.post('/contact', express.urlencoded(), (req, res) => {
    const { name = 'stranger', message = '' } = req.body as { name?: string; message?: string };
    res.type('html').send(`<p>Thanks, ${escapeHtml(name)}. We got: ${escapeHtml(message)}</p>\n`);
  });

  app.post('/upload', upload.single('file'), (req, res) => {
    const file = req.file;
    if (!file) throw new HttpError(400, 'send a multipart form with a "file" field');
    res.status(201).json({
      name: file.originalname,
      type: file.mimetype,
      size: file.size,
      sha256: createHash('sha256').update(file.buffer).digest('hex'),
    });
  });

  app.get('/download/report.csv', (req, res, next) => {
    const rows = Math.min(Number(req.query.rows) || DEFAULT_REPORT_ROWS, MAX_REPORT_ROWS);
    res.attachment('report.csv');
    Readable.from(reportRows(rows)).pipe(res).on('error', next);
  });

  app.use((_req, _res, next) => next(new HttpError(404, 'not found')));

  const onError: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error instanceof HttpError ? error.status : ((error as { status?: number }).status ?? 500);
    const message = status < 500 ? (error as Error).message : 'internal error';
    res.status(status).json({ error: message });
  };
  app.use(onError);
  return app;
}

/** The module's default export is the app itself, an Express `(req, res)` listener. */
export default createApp();
