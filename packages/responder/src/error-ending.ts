/**
 * The error policy, in one place: what a failed request sends, and what `onError` is told. Every
 * error ending goes through `endWithError`, the one place that decides between a plain answer and a
 * cut-off response.
 */
import { encodeStreamEnd, encodeStreamRecords, RecordType, statusText } from '@fcgi/protocol';
import { AppStatus } from './app-status';
import { HandlerError } from './errors';
import { isResponse, type ResponseSink, writeResponse } from './response-writer';
import type { ErrorContext, ErrorHook } from './types';

export interface ErrorPolicy {
  readonly onError: ErrorHook | undefined;
  readonly verboseErrors: boolean;
}

/** A request the error path can answer. */
export interface FailingRequest extends ResponseSink {
  readonly isHead: boolean;
  context(): ErrorContext;
}

/**
 * Once the head is out the response can only be cut off: an empty STDOUT and END_REQUEST with
 * `appStatus`, which the web server logs. Before it, a plain-text `status` response is sent instead.
 */
export function endWithError(sink: ResponseSink, status: number, appStatus: number): void {
  if (sink.ended) return;
  const id = sink.requestId;
  if (sink.started) {
    sink.finish([encodeStreamEnd(RecordType.Stdout, id)], appStatus);
    return;
  }
  sink.started = true;
  sink.finish(plainResponseParts(id, status), appStatus);
}

/**
 * onError decides the response (default: a plain `status`), verboseErrors puts the error on STDERR,
 * and the request always ends, whatever onError does.
 */
export async function respondToError(
  request: FailingRequest,
  error: Error,
  status: number,
  policy: ErrorPolicy,
): Promise<void> {
  const outcome = await askOnError(policy.onError, error, request.context());
  if (request.ended) return;
  if (policy.verboseErrors) {
    const text = Buffer.from(`${error.stack ?? error.message}${causeText(error)}\n`, 'utf8');
    request.write(encodeStreamRecords(RecordType.Stderr, request.requestId, text, { end: true }));
  }
  const appStatus = outcome.appStatus ?? AppStatus.Error;
  if (outcome.response && !request.started) {
    try {
      const pending = writeResponse(request, outcome.response, request.isHead, appStatus);
      if (pending) await pending;
      return;
    } catch {
      // onError's own response could not be sent: the plain answer (or the cut-off) follows.
    }
  }
  endWithError(request, status, appStatus);
}

/** Tells onError about an error that has no response to decide (wire errors, late failures). */
export function reportError(onError: ErrorHook | undefined, error: Error, context: ErrorContext): void {
  void askOnError(onError, error, context);
}

async function askOnError(
  onError: ErrorHook | undefined,
  error: Error,
  context: ErrorContext,
): Promise<{ response?: Response; appStatus?: number }> {
  if (!onError) {
    if (error instanceof HandlerError) console.error(error);
    return {};
  }
  try {
    const outcome = await onError(error, context);
    if (isResponse(outcome)) return { response: outcome };
    if (outcome && typeof outcome === 'object') {
      const { response, appStatus } = outcome;
      return {
        response: isResponse(response) ? response : undefined,
        appStatus: Number.isInteger(appStatus) ? appStatus : undefined,
      };
    }
  } catch {
    // An onError that throws must not leave the request open: fall back to the default response.
  }
  return {};
}

/** A plain-text response for the statuses the responder answers by itself (400, 413, 431, 500, 503). */
function plainResponseParts(requestId: number, status: number): Uint8Array[] {
  const text = statusText(status) || 'Error';
  const body = Buffer.from(`${text}\n`, 'latin1');
  const head = `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nStatus: ${status} ${text}\r\n\r\n`;
  return [
    ...encodeStreamRecords(RecordType.Stdout, requestId, Buffer.from(head, 'latin1')),
    ...encodeStreamRecords(RecordType.Stdout, requestId, body, { end: true }),
  ];
}

function causeText(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) return `\nCaused by: ${cause.stack ?? cause.message}`;
  return cause === undefined ? '' : `\nCaused by: ${String(cause)}`;
}
