import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patternBytes } from './app';
import { CASES } from './cases';
import type { Front } from './nginx';
import { processTree } from './proc';
import { type Started, startPinned, waitListening } from './processes';
import { findExecutable } from './system';

/** A backend under test: how to start it, how nginx reaches it, and which processes its CPU is. */
export interface Column {
  id: string;
  label: string;
  /** Absent for the ceiling, which is nginx alone. */
  start?: (ctx: ColumnContext) => Promise<Started>;
  front: (ctx: ColumnContext) => Front;
  /** The backend's processes at this moment (php-fpm's pool grows and is re-read per run). */
  pids?: (started: Started) => number[];
  /** Cases this column cannot serve, with why. */
  skips?: Record<string, string>;
}

export interface ColumnContext {
  runDir: string;
  backendCpu: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const socketOf = (ctx: ColumnContext, id: string) => join(ctx.runDir, `${id}.sock`);

function nodeBackend(id: string, script: string, env: Record<string, string> = {}) {
  return async (ctx: ColumnContext): Promise<Started> => {
    const socket = socketOf(ctx, id);
    const proc = startPinned(id, ctx.backendCpu, [process.execPath, join(here, 'backends', script)], {
      env: { ...env, BENCH_SOCKET: socket },
      logFile: join(ctx.runDir, `${id}.log`),
    });
    await waitListening(proc, { path: socket });
    chmodSync(socket, 0o666);
    return proc;
  };
}

const fastcgi = (id: string, keepConn: boolean) => (ctx: ColumnContext) =>
  ({ kind: 'fastcgi', socket: socketOf(ctx, id), keepConn }) satisfies Front;
const http = (id: string) => (ctx: ColumnContext) =>
  ({ kind: 'http', socket: socketOf(ctx, id) }) satisfies Front;

const PHP_APP = `<?php
// The bench app for php-fpm: same routes and bytes as the Node backends.
$uri = $_SERVER['REQUEST_URI'];
$q = strpos($uri, '?');
$path = $q === false ? $uri : substr($uri, 0, $q);
$method = $_SERVER['REQUEST_METHOD'];
if ($path === '/hello' && $method === 'GET') {
  header('Content-Type: text/plain; charset=utf-8');
  header('Content-Length: 13');
  echo 'Hello, World!';
} elseif ($path === '/echo' && $method === 'POST') {
  $body = file_get_contents('php://input');
  header('Content-Type: application/octet-stream');
  header('Content-Length: ' . strlen($body));
  echo $body;
} elseif ($path === '/bytes' && $method === 'GET') {
  $n = (int) ($_GET['n'] ?? 0);
  header('Content-Type: application/octet-stream');
  header('Content-Length: ' . $n);
  echo substr(str_repeat('0123456789abcdef', intdiv($n + 15, 16)), 0, $n);
} else {
  http_response_code(404);
}
`;

// Workers enough to keep one core busy while some wait on nginx; php-fpm serves one request per worker.
const PHP_WORKERS = 8;

async function startPhpFpm(ctx: ColumnContext): Promise<Started> {
  const binary = findExecutable(['php-fpm', 'php-fpm8.2', 'php-fpm8.3', 'php-fpm8.1']);
  if (!binary) throw new Error('php-fpm is not installed');
  const socket = socketOf(ctx, 'php-fpm');
  writeFileSync(join(ctx.runDir, 'app.php'), PHP_APP);
  const asRoot = process.getuid?.() === 0;
  const config = join(ctx.runDir, 'php-fpm.conf');
  writeFileSync(
    config,
    `[global]
pid = ${join(ctx.runDir, 'php-fpm.pid')}
error_log = ${join(ctx.runDir, 'php-fpm-error.log')}
daemonize = no
[bench]
${asRoot ? 'user = root\ngroup = root\n' : ''}listen = ${socket}
listen.mode = 0666
listen.backlog = 4096
pm = static
pm.max_children = ${PHP_WORKERS}
pm.max_requests = 0
`,
  );
  const args = [binary, '--nodaemonize', '--fpm-config', config];
  if (asRoot) args.push('--allow-to-run-as-root');
  const proc = startPinned('php-fpm', ctx.backendCpu, args, { logFile: join(ctx.runDir, 'php-fpm.log') });
  await waitListening(proc, { path: socket });
  return proc;
}

/** Static files the ceiling answers with: the exact bytes each case expects. */
export function writeCeilingFiles(wwwDir: string): void {
  for (const c of CASES) {
    if (c.id.startsWith('echo'))
      writeFileSync(join(wwwDir, 'static', `echo-${c.bodyLength}`), patternBytes(c.bodyLength));
  }
  const n = 1024 * 1024;
  writeFileSync(join(wwwDir, 'static', `bytes-${n}`), patternBytes(n));
}

export const HONO_COLUMN = 'hono-node-server';
export const CEILING_COLUMN = 'nginx-ceiling';
export const OURS_COLUMN = 'ours-keepconn';
export const OURS_LIGHT_COLUMN = 'ours-light';
export const FCGI_HONO_COLUMN = 'fcgi-hono';
export const NODE_FASTCGI_COLUMN = 'node-fastcgi';

export const COLUMNS: Column[] = [
  {
    id: OURS_COLUMN,
    label: '@fcgi/responder, keep_conn',
    start: nodeBackend(OURS_COLUMN, 'ours.js'),
    front: fastcgi(OURS_COLUMN, true),
  },
  {
    id: OURS_LIGHT_COLUMN,
    label: '@fcgi/responder + its light Response, keep_conn',
    start: nodeBackend(OURS_LIGHT_COLUMN, 'ours.js', { BENCH_APP: 'light' }),
    front: fastcgi(OURS_LIGHT_COLUMN, true),
  },
  {
    id: 'ours-nokeep',
    label: '@fcgi/responder, no keep_conn',
    start: nodeBackend('ours-nokeep', 'ours.js'),
    front: fastcgi('ours-nokeep', false),
  },
  {
    id: 'ours-hono',
    label: '@fcgi/responder + Hono app, keep_conn',
    start: nodeBackend('ours-hono', 'ours.js', { BENCH_APP: 'hono' }),
    front: fastcgi('ours-hono', true),
  },
  {
    id: FCGI_HONO_COLUMN,
    label: '@fcgi/hono (defaults) + the same Hono app as @hono/node-server, keep_conn',
    start: nodeBackend(FCGI_HONO_COLUMN, 'fcgi-hono.js'),
    front: fastcgi(FCGI_HONO_COLUMN, true),
  },
  {
    id: HONO_COLUMN,
    label: '@hono/node-server + Hono, proxy_pass',
    start: nodeBackend(HONO_COLUMN, 'hono-node-server.js'),
    front: http(HONO_COLUMN),
  },
  {
    id: 'node-http',
    label: 'node:http, proxy_pass',
    start: nodeBackend('node-http', 'node-http.js'),
    front: http('node-http'),
  },
  {
    id: 'express-fcgi',
    label: '@fcgi/node + Express 5, keep_conn',
    start: nodeBackend('express-fcgi', 'express-fcgi.js'),
    front: fastcgi('express-fcgi', true),
  },
  {
    id: 'express-http',
    label: 'node:http + the same Express 5 app, proxy_pass',
    start: nodeBackend('express-http', 'express-http.js'),
    front: http('express-http'),
  },
  {
    id: NODE_FASTCGI_COLUMN,
    label: 'npm node-fastcgi',
    start: nodeBackend(NODE_FASTCGI_COLUMN, 'node-fastcgi.js'),
    front: fastcgi(NODE_FASTCGI_COLUMN, process.env.BENCH_NODE_FASTCGI_KEEPCONN === '1'),
  },
  {
    id: 'raw-floor',
    label: 'no-API floor (hand-written records), keep_conn',
    start: nodeBackend('raw-floor', 'raw-floor.js'),
    front: fastcgi('raw-floor', true),
  },
  {
    id: 'php-fpm',
    label: 'php-fpm (static pool of 8), fastcgi_pass',
    start: startPhpFpm,
    // php-fpm gives a connection its worker until it closes: kept-alive idle connections would
    // starve the pool, so it runs as it is deployed, one connection per request.
    front: (ctx) => ({
      kind: 'fastcgi',
      socket: socketOf(ctx, 'php-fpm'),
      keepConn: false,
      scriptFilename: join(ctx.runDir, 'app.php'),
    }),
    pids: (started) => processTree(started.pid),
  },
  {
    id: CEILING_COLUMN,
    label: 'nginx alone (return 200 / static file): ceiling',
    front: (ctx) => ({ kind: 'self', wwwDir: join(ctx.runDir, 'www') }),
  },
];

/** Columns whose software is missing on this machine are dropped with a note instead of failing. */
export function availableColumns(): { columns: Column[]; notes: string[] } {
  const notes: string[] = [];
  const columns = COLUMNS.filter((column) => {
    if (column.id === 'php-fpm' && !findExecutable(['php-fpm', 'php-fpm8.2', 'php-fpm8.3', 'php-fpm8.1'])) {
      notes.push('php-fpm column skipped: php-fpm is not installed (apt-get install php-fpm).');
      return false;
    }
    return true;
  });
  if (!findExecutable(['go'])) {
    notes.push(
      "Go net/http/fcgi column skipped: no `go` on this machine (it is optional; Debian's golang-go).",
    );
  } else {
    notes.push('Go net/http/fcgi column not implemented in this harness yet, although `go` is present.');
  }
  return { columns, notes };
}
