import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { startGateway } from '../gateway/server';
import { type CliIO, whenAborted } from '../io';
import { normalizeTarget, parsePort, parseSize, parseTimeout } from '../target';

/**
 * `fcgi gateway --listen PORT --to TARGET [--host H] [--root DIR] [--buffer-body] [--max-body SIZE]`:
 * runs until io.signal aborts.
 */
export async function gatewayCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      listen: { type: 'string' },
      host: { type: 'string' },
      to: { type: 'string' },
      root: { type: 'string' },
      'script-filename': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      timeout: { type: 'string' },
      'buffer-body': { type: 'boolean' },
      'max-body': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.listen === undefined)
    throw new UsageError('fcgi gateway needs --listen PORT, e.g. --listen 8080');
  if (values.to === undefined) throw new UsageError('fcgi gateway needs --to TARGET, e.g. --to ./app.sock');
  const target = normalizeTarget(values.to, io.cwd);
  const gateway = await startGateway({
    target,
    port: parsePort(values.listen, '--listen'),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.root !== undefined ? { root: resolve(io.cwd, values.root) } : {}),
    ...(values['script-filename'] !== undefined ? { scriptFilename: values['script-filename'] } : {}),
    ...(values.timeout !== undefined ? { timeout: parseTimeout(values.timeout) } : {}),
    ...(values['buffer-body'] ? { bufferBody: true } : {}),
    ...(values['max-body'] !== undefined
      ? { maxBodyBytes: parseSize(values['max-body'], '--max-body') }
      : {}),
    onError: (message) => io.stderr.write(`fcgi gateway: ${message}\n`),
    ...(values.quiet ? {} : { onRequest: (line: string) => io.stdout.write(`${line}\n`) }),
  });
  io.stdout.write(
    `fcgi gateway: ${gateway.url} -> ${target} (development only; use nginx or Caddy in production)\n`,
  );
  await whenAborted(io.signal);
  await gateway.close();
  return ExitCode.Ok;
}
