import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '@fcgi/responder';
import { CliError, messageOf } from './errors';
import { nodeAppHandler, nodeAppKind } from './node-app';

/** What a module may export: a fetch handler, or an app with a `fetch` method (Hono, h3, itty...). */
type FetchApp = { fetch: (request: Request, info: never) => Response | Promise<Response> };

/**
 * Imports `specifier` (relative to `cwd`) and returns its default export as a Handler. Accepts the
 * Hono/Bun/Deno convention `export default app` where `app.fetch(request, env)` handles requests,
 * a plain `export default (request, info) => Response`, and a node:http app (an Express or Connect
 * app, a Koa or Fastify instance, a node:http Server) through the @fcgi/node its project installed.
 */
export async function loadHandler(specifier: string, cwd: string): Promise<Handler> {
  const path = resolve(cwd, specifier);
  if (!existsSync(path)) throw new CliError(`cannot find module ${specifier} (looked for ${path})`);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = isEsmInCommonJs(error)
      ? ' (it is written as an ES module, but the nearest package.json says "type": "commonjs", which npm init writes: ' +
        'set "type": "module" there, rename the file to .mjs, or use module.exports = handler)'
      : (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(path)
        ? ` (Node ${process.versions.node} cannot import TypeScript by itself: build it to .js first, run fcgi with node --import tsx, or use Node 22.18 or newer, which strips types)`
        : '';
    throw new CliError(`cannot load module ${specifier}: ${messageOf(error)}${hint}`, undefined, {
      cause: error,
    });
  }
  const value = defaultExport(namespace);
  // Checked first: an Express app is a function too, but a (req, res) one.
  const kind = nodeAppKind(value);
  if (kind) return nodeAppHandler(value, kind, path, specifier);
  const handler = toHandler(value);
  if (!handler) {
    throw new CliError(
      `${specifier} has no handler: its default export must be a function (request, info) => Response ` +
        'or an object with a fetch(request, info) method, e.g. "export default app"; or a node:http app ' +
        '(an Express, Connect, Koa or Fastify app, or http.createServer(listener)), served with @fcgi/node',
    );
  }
  return handler;
}

/**
 * The module's default export. A CommonJS module's is its `module.exports`; when that holds an
 * `exports.default` (what TypeScript emits for `export default` compiled to CommonJS), that is it.
 */
function defaultExport(namespace: Record<string, unknown>): unknown {
  const value = namespace.default;
  if (value && typeof value === 'object' && '__esModule' in value && 'default' in value) {
    return (value as { default: unknown }).default;
  }
  return value;
}

/** Node's refusal to load `export`/`import` syntax from a file it treats as CommonJS. */
function isEsmInCommonJs(error: unknown): boolean {
  // Compared by name: on Node 24 the error comes from the CommonJS loader's own context.
  const { name, message } = (error ?? {}) as Partial<Error>;
  return (
    name === 'SyntaxError' &&
    /Unexpected token 'export'|Cannot use import statement outside a module/.test(message ?? '')
  );
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
