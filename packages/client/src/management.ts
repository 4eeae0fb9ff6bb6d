import {
  decodeParams,
  decodeUnknownTypeBody,
  encodeGetValues,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  type FcgiRecord,
  RecordType,
} from '@fcgi/protocol';
import { Connection, connectSocket, type RecordSink } from './connection';
import { FcgiClientError, timeoutError } from './errors';
import { describeTarget, type FcgiTarget } from './target';

export const DEFAULT_VALUE_NAMES: readonly string[] = [FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS];

export interface QueryOptions {
  connectTimeout?: number | undefined;
  timeout?: number | undefined;
}

/**
 * Sends FCGI_GET_VALUES on a connection of its own and resolves with the names the backend answered
 * (§4.1: unknown names are left out). Its own connection, because php-fpm closes a connection after
 * answering a management record, so it could never go back to the pool.
 */
export async function queryValues(
  target: FcgiTarget,
  names: readonly string[] = DEFAULT_VALUE_NAMES,
  options: QueryOptions = {},
): Promise<Record<string, string>> {
  const socket = await connectSocket(target, { connectTimeout: options.connectTimeout });
  const connection = new Connection(socket, target);
  try {
    return await askValues(connection, names, options.timeout);
  } finally {
    connection.destroy();
  }
}

/**
 * Sends FCGI_GET_VALUES on an open connection nothing else uses, and resolves with the answer; rejects
 * on UNKNOWN_TYPE, a malformed answer, the connection closing, or `timeout` ms without an answer.
 */
export function askValues(
  connection: Connection,
  names: readonly string[] = DEFAULT_VALUE_NAMES,
  timeout?: number,
): Promise<Record<string, string>> {
  const target = connection.target;
  return new Promise<Record<string, string>>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== undefined && timeout > 0) {
      const ms = timeout;
      timer = setTimeout(
        () =>
          reject(
            timeoutError(
              `The FastCGI backend at ${describeTarget(target)} sent no GET_VALUES_RESULT within ${ms} ms`,
            ),
          ),
        ms,
      );
    }
    const settle = (action: () => void) => {
      if (timer) clearTimeout(timer);
      action();
    };
    const sink: RecordSink = {
      onRecord(record: FcgiRecord) {
        if (record.requestId !== FCGI_NULL_REQUEST_ID) return;
        if (record.type === RecordType.GetValuesResult) {
          settle(() => {
            try {
              resolve(Object.fromEntries(decodeParams(record.content)));
            } catch (error) {
              reject(
                new FcgiClientError('MALFORMED_RESPONSE', 'The GET_VALUES_RESULT record is malformed', {
                  cause: error,
                }),
              );
            }
          });
        } else if (record.type === RecordType.UnknownType) {
          const { type } = decodeUnknownTypeBody(record.content);
          settle(() =>
            reject(
              new FcgiClientError(
                'UNKNOWN_TYPE',
                `The FastCGI backend at ${describeTarget(target)} does not support management record type ${type}`,
              ),
            ),
          );
        }
      },
      onConnectionLost(error) {
        settle(() => reject(error));
      },
    };
    connection.attach(FCGI_NULL_REQUEST_ID, sink);
    connection.write([encodeGetValues(names)]);
  });
}
