import { parseArgs } from 'node:util';
import { createClient } from '@fcgi/client';
import { backendError, CliError, UsageError } from '../errors';
import type { CliIO } from '../io';
import { normalizeTarget, parseTimeout } from '../target';
import { getValues } from './values';

/**
 * `fcgi ping`'s exit statuses, the ones Docker's HEALTHCHECK and systemd read: 0 healthy, 1 unhealthy
 * for any reason (unreachable, timeout, an error status). Docker reserves 2, which `ping` only uses
 * for a command-line mistake, where no check ran.
 */
export const PingExit = {
  Healthy: 0,
  Unhealthy: 1,
  Usage: 2,
} as const;

/** Well below Docker's default 30 s HEALTHCHECK timeout, so ping reports before Docker kills it. */
const DEFAULT_TIMEOUT_MS = 5_000;

/** What `fcgi request` and curl --fail accept: a redirect still means the app answered. */
const HEALTHY_STATUS = { min: 200, max: 399 } as const;

/**
 * `fcgi ping TARGET [--path PATH] [--timeout MS] [--quiet]`: a FastCGI health check. Without --path it
 * asks FCGI_GET_VALUES, which the backend answers without running the app; with --path it sends a GET
 * through the app and wants a 2xx/3xx.
 */
export async function pingCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      path: { type: 'string' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [rawTarget, ...extra] = positionals;
  if (rawTarget === undefined) throw new UsageError('fcgi ping needs a TARGET, e.g. fcgi ping ./app.sock');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"; the path goes in --path`);
  if (values.path !== undefined && !values.path.startsWith('/')) {
    throw new UsageError(`--path must start with "/", got "${values.path}"`);
  }
  const target = normalizeTarget(rawTarget, io.cwd);
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout);
  const started = performance.now();
  const failure = await probe(target, values.path, timeout);
  const elapsed = Math.round(performance.now() - started);
  if (failure !== undefined) {
    io.stderr.write(`fcgi ping: ${rawTarget} unhealthy: ${failure}\n`);
    return PingExit.Unhealthy;
  }
  if (values.quiet !== true) {
    const what = values.path === undefined ? 'FCGI_GET_VALUES' : `GET ${values.path}`;
    io.stdout.write(`${rawTarget} healthy: answered ${what} in ${elapsed} ms\n`);
  }
  return PingExit.Healthy;
}

/** Runs the check; resolves with why it failed, or undefined when the backend is healthy. */
async function probe(target: string, path: string | undefined, timeout: number): Promise<string | undefined> {
  try {
    if (path === undefined) {
      await getValues(target, [], timeout);
      return undefined;
    }
    return await probePath(target, path, timeout);
  } catch (error) {
    return error instanceof CliError ? error.message : backendError(target, error).message;
  }
}

/** GETs `path` through the app; a 2xx/3xx is healthy. */
async function probePath(target: string, path: string, timeout: number): Promise<string | undefined> {
  const client = createClient(target, { poolSize: 1, connectTimeout: timeout, timeout, keepConn: false });
  const signal = AbortSignal.timeout(timeout);
  try {
    const response = await client.fetch(new URL(path, 'http://localhost').href, { signal });
    await response.body?.cancel();
    const healthy = response.status >= HEALTHY_STATUS.min && response.status <= HEALTHY_STATUS.max;
    return healthy
      ? undefined
      : `answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  } catch (error) {
    if (signal.aborted) return `no answer within ${timeout} ms`;
    throw error;
  } finally {
    await client.close().catch(() => {});
  }
}
