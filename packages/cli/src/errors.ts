import { ExitCode } from './exit-codes';

/** An error the command reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = ExitCode.Failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** A mistake on the command line; the message should say what to type instead. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

/** System errors of the connect phase, in words: nothing reached the backend. */
const connectionErrorText: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such socket',
  EACCES: 'permission denied',
  ENOTSOCK: 'not a socket',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  EADDRNOTAVAIL: 'address not available',
};

/** Every string `code` along an error's `cause` chain, outermost first (the client wraps socket errors). */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** The system error code (ECONNREFUSED, ENOENT...) behind a failure to connect, if there is one. */
export function errorCode(error: unknown): string | undefined {
  const codes = errorCodes(error);
  return codes.find((code) => code in connectionErrorText) ?? codes[0];
}

/** True when the error means the backend could not be reached (as opposed to a bad answer from it). */
export function isConnectionError(error: unknown): boolean {
  const codes = errorCodes(error);
  if (codes.includes('CONNECT_FAILED') || codes.some((code) => code in connectionErrorText)) return true;
  return error instanceof Error && error.name === 'TimeoutError';
}

/**
 * Turns a failure to talk to `target` into a one-line CliError: "cannot connect to unix:/run/app.sock:
 * no such socket (ENOENT)" exits with Unreachable; anything else keeps its message and exits with Failure.
 */
export function backendError(target: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const code = errorCode(error);
  if (isConnectionError(error)) {
    const text = (code && connectionErrorText[code]) ?? messageOf(error);
    return new CliError(
      `cannot connect to ${target}: ${text}${code ? ` (${code})` : ''}`,
      ExitCode.Unreachable,
      {
        cause: error,
      },
    );
  }
  return new CliError(`request to ${target} failed: ${messageOf(error)}`, ExitCode.Failure, { cause: error });
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
