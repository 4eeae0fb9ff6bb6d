import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '@fcgi/responder';
import { CliError, messageOf } from './errors';

/** The package that bridges node:http apps to fetch handlers; the user's project installs it. */
const NODE_PACKAGE = '@fcgi/node';

/** The node:http-style apps a module's default export is recognised as, by shape. */
export type NodeAppKind = 'express' | 'server' | 'koa' | 'fastify';

/** What `fcgi serve` hands to @fcgi/node's toFetchHandler: a `(req, res)` listener or a node:http Server. */
type NodeApp = object;

interface NodePackage {
  toFetchHandler(app: NodeApp): Handler;
}

type Shape = Record<string, unknown>;

function hasMethods(value: Shape, ...names: string[]): boolean {
  return names.every((name) => typeof value[name] === 'function');
}

/**
 * Which kind of node:http app `value` is, or undefined for anything else (a fetch handler, an app with
 * a `fetch` method). Decided by shape only, because a plain function cannot say which API it speaks:
 * `(request, info)` fetch handlers and `(req, res)` listeners both take two parameters.
 * - Express and Connect apps are functions with `handle` and `listen` methods;
 * - a node:http (or https) Server is an emitter with `listen`, `address` and 'request' listeners;
 * - a Koa app has `callback` and `use` (and no `fetch`);
 * - a Fastify instance has `ready`, `routing` and its `server`.
 */
export function nodeAppKind(value: unknown): NodeAppKind | undefined {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) return undefined;
  const shape = value as Shape;
  if (typeof shape.fetch === 'function') return undefined;
  if (typeof value === 'function') return hasMethods(shape, 'handle', 'listen') ? 'express' : undefined;
  if (hasMethods(shape, 'ready', 'routing') && typeof shape.server === 'object') return 'fastify';
  if (hasMethods(shape, 'callback', 'use')) return 'koa';
  if (hasMethods(shape, 'emit', 'listenerCount', 'listen', 'address')) return 'server';
  return undefined;
}

/**
 * The fetch handler for a node:http app found in `modulePath`, through the @fcgi/node that module's own
 * project installed (resolved from its directory, as its own `import` would be), so the CLI carries no
 * copy of it and the app's versions are the ones it was written against.
 */
export async function nodeAppHandler(
  app: unknown,
  kind: NodeAppKind,
  modulePath: string,
  specifier: string,
): Promise<Handler> {
  const listener = await requestListener(app as Shape, kind, specifier);
  const bridge = await importNodePackage(modulePath, specifier, kind);
  return bridge.toFetchHandler(listener);
}

/** What @fcgi/node serves for each kind: the app itself, Koa's callback(), Fastify's server once ready. */
async function requestListener(app: Shape, kind: NodeAppKind, specifier: string): Promise<NodeApp> {
  switch (kind) {
    case 'express':
      return app;
    case 'koa':
      return (app.callback as () => NodeApp).call(app);
    case 'fastify':
      // Fastify registers its routes in ready(); its serverless guide then emits 'request' on app.server.
      await (app.ready as () => Promise<unknown>).call(app);
      return app.server as NodeApp;
    case 'server':
      if ((app.listenerCount as (event: string) => number).call(app, 'request') === 0) {
        throw new CliError(
          `${specifier} exports a node:http Server with no 'request' listener: create it with ` +
            'http.createServer((req, res) => ...) or add one with server.on("request", ...)',
        );
      }
      return app;
  }
}

const KIND_NAMES: Record<NodeAppKind, string> = {
  express: 'an Express/Connect app',
  server: 'a node:http Server',
  koa: 'a Koa app',
  fastify: 'a Fastify app',
};

async function importNodePackage(
  modulePath: string,
  specifier: string,
  kind: NodeAppKind,
): Promise<NodePackage> {
  const directory = dirname(modulePath);
  const notInstalled = `${specifier} exports ${KIND_NAMES[kind]}, which fcgi serves with ${NODE_PACKAGE}: run "npm install ${NODE_PACKAGE}" in ${directory} (or its project)`;
  let manifestPath: string;
  try {
    manifestPath = createRequire(modulePath).resolve(`${NODE_PACKAGE}/package.json`);
  } catch (error) {
    throw new CliError(`${notInstalled}; it is not installed there`, undefined, { cause: error });
  }
  let namespace: Partial<NodePackage>;
  try {
    const entry = esmEntry(JSON.parse(readFileSync(manifestPath, 'utf8')));
    namespace = (await import(
      pathToFileURL(join(dirname(manifestPath), entry)).href
    )) as Partial<NodePackage>;
  } catch (error) {
    throw new CliError(`${notInstalled}; loading it failed: ${messageOf(error)}`, undefined, {
      cause: error,
    });
  }
  if (typeof namespace.toFetchHandler !== 'function') {
    throw new CliError(`${notInstalled}; the installed one has no toFetchHandler (update it)`);
  }
  return namespace as NodePackage;
}

type ExportsField = string | { [condition: string]: ExportsField } | undefined;

/** The file `import '@fcgi/node'` loads: the package's "." export under the import/default condition. */
function esmEntry(manifest: { exports?: ExportsField; main?: string }): string {
  let target: ExportsField = manifest.exports;
  if (target && typeof target === 'object' && '.' in target) target = target['.'];
  while (target && typeof target === 'object') target = target.import ?? target.default;
  const entry = typeof target === 'string' ? target : manifest.main;
  if (!entry) throw new Error(`${NODE_PACKAGE}'s package.json names no entry point`);
  return entry;
}
