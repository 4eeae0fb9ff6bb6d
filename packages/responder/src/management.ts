import {
  decodeParams,
  encodeGetValuesResult,
  encodeRecord,
  encodeUnknownTypeBody,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  RecordType,
} from '@fcgi/protocol';
import type { ConnectionOptions } from './options';

type ManagementLimits = Pick<ConnectionOptions, 'multiplex' | 'maxConcurrentRequests' | 'maxConnections'>;

/**
 * The answer to a management record (request id 0): FCGI_GET_VALUES_RESULT for FCGI_GET_VALUES,
 * FCGI_UNKNOWN_TYPE for anything else.
 */
export function managementReply(type: number, content: Uint8Array, limits: ManagementLimits): Uint8Array {
  if (type !== RecordType.GetValues) {
    return encodeRecord(RecordType.UnknownType, FCGI_NULL_REQUEST_ID, encodeUnknownTypeBody(type));
  }
  let names: string[];
  try {
    names = decodeParams(content).map(([name]) => name);
  } catch {
    names = [];
  }
  // Only values that are known and true: the per-connection request cap (1 without multiplexing),
  // and a connection limit only when maxConnections sets one. A guessed value would mislead a web
  // server that sizes its pool from it.
  const multiplex = limits.multiplex;
  const known: Record<string, string | undefined> = {
    [FCGI_MPXS_CONNS]: multiplex ? '1' : '0',
    [FCGI_MAX_REQS]: multiplex ? String(limits.maxConcurrentRequests) : '1',
    [FCGI_MAX_CONNS]: limits.maxConnections?.toString(),
  };
  const values: Array<[string, string]> = [];
  for (const name of names) {
    const value = known[name];
    if (value !== undefined) values.push([name, value]);
  }
  return encodeGetValuesResult(values);
}
