import { parseArgs } from 'node:util';
import { createClient } from '@fcgi/client';
import { backendError, CliError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { CliIO } from '../io';
import { normalizeTarget, parseTimeout } from '../target';

const DEFAULT_TIMEOUT_MS = 10_000;

/** `fcgi values TARGET [NAME...]`: prints the backend's FCGI_GET_VALUES_RESULT as NAME=VALUE lines. */
export async function valuesCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { timeout: { type: 'string' } },
  });
  const [target, ...names] = positionals;
  if (target === undefined) throw new UsageError('fcgi values needs a TARGET, e.g. fcgi values ./app.sock');
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout);
  const result = await getValues(normalizeTarget(target, io.cwd), names, timeout);
  for (const [name, value] of Object.entries(result)) io.stdout.write(`${name}=${value}\n`);
  return ExitCode.Ok;
}

/** Asks `target` for `names` (all three standard variables when empty). */
export async function getValues(target: string, names: string[], timeout = DEFAULT_TIMEOUT_MS) {
  const client = createClient(target, { poolSize: 1, connectTimeout: timeout, timeout });
  let timer: NodeJS.Timeout | undefined;
  let answered = false;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CliError(`no answer from ${target} within ${timeout} ms`, ExitCode.Unreachable)),
        timeout,
      );
    });
    const values = await Promise.race([client.getValues(names.length > 0 ? names : undefined), timedOut]);
    answered = true;
    return values;
  } catch (error) {
    throw backendError(target, error);
  } finally {
    clearTimeout(timer);
    // After a timeout the query may still hold its connection; closing must not wait for it.
    const closed = client.close().catch(() => {});
    if (answered) await closed;
  }
}
