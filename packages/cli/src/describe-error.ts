import { HandlerError } from '@fcgi/responder';

/**
 * What `fcgi serve` logs for an error the responder reports: the app's own stack trace when the handler
 * failed (that is the line to fix), one line for anything else (a refused peer, a protocol error), so
 * that a misbehaving client cannot flood the log with traces.
 */
export function describeServeError(error: Error): string {
  if (error instanceof HandlerError) {
    const cause = error.cause instanceof Error ? `\n${error.cause.stack ?? error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return `${error.name}: ${error.message}`;
}
