import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentTypeFor } from './content-types';

/** Answers a request from files under a root directory; false means "not a file here, ask the backend". */
export type StaticFileHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export interface StaticFileOptions {
  /** Called when a request is answered from disk (a file, 304, 301 or 403), before anything is written. */
  onAnswer?: (response: ServerResponse) => void;
}

/**
 * Serves GET and HEAD for regular files under `root`. Paths that would leave the root (an encoded
 * "..%2f", or a symlink pointing outside) get 403; hidden files (any segment starting with ".") and
 * missing files are left to the backend, so a front controller still sees its routes.
 */
export function createStaticFiles(root: string, options: StaticFileOptions = {}): StaticFileHandler {
  const rootPath = resolve(root);
  let realRoot: Promise<string> | undefined;
  // Tells the caller before the first byte is written, so that its 'close' listener already knows.
  const answering = (response: ServerResponse) => {
    options.onAnswer?.(response);
    return response;
  };
  const handler: StaticFileHandler = async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const url = parseUrl(request.url ?? '/');
    const pathname = url && decodePathname(url.pathname);
    if (!url || pathname === undefined) return false;
    const segments = pathname.split('/');
    if (segments.some((segment) => segment === '..')) return forbid(answering(response));
    if (segments.some((segment) => segment.startsWith('.'))) return false;
    const candidate = resolve(rootPath, `.${pathname}`);
    if (!isInside(rootPath, candidate)) return forbid(answering(response));

    const file = await findFile(candidate, pathname.endsWith('/'));
    if (file === undefined) return false;
    if (file === 'add-slash') {
      answering(response)
        .writeHead(301, { location: `${url.pathname}/${url.search}`, 'content-length': '0' })
        .end();
      return true;
    }
    realRoot ??= realpath(rootPath);
    const real = await realpath(file.path).catch(() => undefined);
    if (real === undefined) return false;
    if (!isInside(await realRoot, real)) return forbid(answering(response));
    await sendFile(request, answering(response), real, file.size, file.mtime);
    return true;
  };
  return handler;
}

/** The URL parser also removes dot segments, plain or percent-encoded ("/%2e%2e/"). */
function parseUrl(target: string): URL | undefined {
  try {
    return new URL(target, 'http://gateway');
  } catch {
    return undefined;
  }
}

function decodePathname(pathname: string): string | undefined {
  try {
    const decoded = decodeURIComponent(pathname);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

interface FoundFile {
  path: string;
  size: number;
  mtime: Date;
}

async function findFile(
  path: string,
  hasTrailingSlash: boolean,
): Promise<FoundFile | 'add-slash' | undefined> {
  const stats = await stat(path).catch(() => undefined);
  if (stats?.isFile()) return hasTrailingSlash ? undefined : { path, size: stats.size, mtime: stats.mtime };
  if (!stats?.isDirectory()) return undefined;
  const index = join(path, 'index.html');
  const indexStats = await stat(index).catch(() => undefined);
  if (!indexStats?.isFile()) return undefined;
  // Relative links in the index page only work when the directory URL ends with "/".
  if (!hasTrailingSlash) return 'add-slash';
  return { path: index, size: indexStats.size, mtime: indexStats.mtime };
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  size: number,
  mtime: Date,
): Promise<void> {
  const lastModified = mtime.toUTCString();
  const since = request.headers['if-modified-since'];
  // HTTP dates have one-second precision.
  if (since !== undefined && Math.floor(mtime.getTime() / 1000) <= Math.floor(Date.parse(since) / 1000)) {
    response.writeHead(304, { 'last-modified': lastModified }).end();
    return;
  }
  response.writeHead(200, {
    'content-type': contentTypeFor(path),
    'content-length': String(size),
    'last-modified': lastModified,
    // A development server: always revalidate so edits show up on reload.
    'cache-control': 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await pipeline(createReadStream(path), response).catch(() => {
    // The browser went away mid-file; nothing left to answer.
  });
}

function forbid(response: ServerResponse): true {
  response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('forbidden\n');
  return true;
}
