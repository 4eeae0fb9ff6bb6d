import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors';
import { loadHandler, toHandler } from '../src/load-handler';
import { fixture } from './helpers';

const info = { requestId: 7 } as never;

describe('loadHandler', () => {
  it('returns a default-exported function as the handler', async () => {
    const handler = await loadHandler('./fixtures/app.mjs', new URL('.', import.meta.url).pathname);
    const response = await handler(new Request('http://localhost/'), info);
    expect(await response.text()).toBe('Hello from the fixture\n');
  });

  it('calls fetch on a default-exported app object with the app as this', async () => {
    const handler = await loadHandler(fixture('app-object.mjs'), '/');
    const response = await handler(new Request('http://localhost/x'), info);
    expect(await response.text()).toBe('Hello from an app object (/x, request 7)\n');
  });

  it('names the path it looked at when the module does not exist', async () => {
    await expect(loadHandler('./missing.mjs', '/srv')).rejects.toThrow(
      new CliError('cannot find module ./missing.mjs (looked for /srv/missing.mjs)'),
    );
  });

  it('explains the two accepted shapes when the default export is neither', async () => {
    await expect(loadHandler(fixture('no-handler.mjs'), '/')).rejects.toThrow(
      /has no handler: its default export must be a function .* or an object with a fetch/,
    );
  });

  it('reports an error thrown while the module loads', async () => {
    await expect(loadHandler(fixture('throws-on-load.mjs'), '/')).rejects.toThrow(
      /cannot load module .*throws-on-load\.mjs: database not configured/,
    );
  });

  it('serves a CommonJS module whose module.exports is the handler', async () => {
    const handler = await loadHandler(fixture('commonjs/module-exports.js'), '/');
    const response = await handler(new Request('http://localhost/cjs'), info);
    expect(await response.text()).toBe('Hello from CommonJS (/cjs)\n');
  });

  it('serves a CommonJS module compiled from export default (exports.default)', async () => {
    const handler = await loadHandler(fixture('commonjs/exports-default.js'), '/');
    const response = await handler(new Request('http://localhost/ts'), info);
    expect(await response.text()).toBe('Hello from exports.default (/ts)\n');
  });

  it('accepts no other default export', () => {
    expect(toHandler(undefined)).toBeUndefined();
    expect(toHandler('handler')).toBeUndefined();
    expect(toHandler({ fetch: 'no' })).toBeUndefined();
  });
});
