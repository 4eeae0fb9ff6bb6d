import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '@fcgi/responder';
import { CliError, messageOf } from './errors';

/** What a module may export: a fetch handler, or an app with a `fetch` method (Hono, h3, itty...). */
type FetchApp = { fetch: (request: Request, info: never) => Response | Promise<Response> };

/**
 * Imports `specifier` (relative to `cwd`) and returns its default export as a Handler. Accepts the
 * Hono/Bun/Deno convention `export default app` where `app.fetch(request, env)` handles requests,
 * and a plain `export default (request, info) => Response`.
 */
export async function loadHandler(specifier: string, cwd: string): Promise<Handler> {
  const path = resolve(cwd, specifier);
  if (!existsSync(path)) throw new CliError(`cannot find module ${specifier} (looked for ${path})`);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const hint =
      (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(path)
        ? ` (Node ${process.versions.node} cannot import TypeScript by itself: build it to .js first, run fcgi with node --import tsx, or use Node 22.18 or newer, which strips types)`
        : '';
    throw new CliError(`cannot load module ${specifier}: ${messageOf(error)}${hint}`, undefined, {
      cause: error,
    });
  }
  const handler = toHandler(namespace.default);
  if (!handler) {
    throw new CliError(
      `${specifier} has no handler: its default export must be a function (request, info) => Response ` +
        'or an object with a fetch(request, info) method, e.g. "export default app"',
    );
  }
  return handler;
}

/** The Handler for a module's default export, or undefined when it is neither form. */
export function toHandler(value: unknown): Handler | undefined {
  if (typeof value === 'function') return value as Handler;
  if (value && typeof value === 'object' && typeof (value as FetchApp).fetch === 'function') {
    const app = value as FetchApp;
    // Call through the object: Hono's fetch is a bound arrow but other apps rely on `this`.
    return (request, info) => app.fetch(request, info as never);
  }
  return undefined;
}
