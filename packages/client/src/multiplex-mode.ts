import { FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS } from '@fcgi/protocol';
import { Connection, connectSocket } from './connection';
import { askValues, DEFAULT_VALUE_NAMES } from './management';
import type { FcgiTarget } from './target';

/** `'auto'`: multiplex when the backend says FCGI_MPXS_CONNS=1; `true`: without asking; `false`: never. */
export type MultiplexOption = 'auto' | boolean;

export interface MultiplexSettings {
  /** Most requests in flight at once on one connection. */
  readonly perConnection: number;
  /** FCGI_MAX_CONNS, when the backend gave one. */
  readonly maxConnections: number | undefined;
}

/** Requests per connection when neither the backend (FCGI_MAX_REQS) nor the options say. */
export const DEFAULT_MULTIPLEXED_REQUESTS = 100;
/** Request ids are 16 bits and 0 is the management id. */
const MAX_REQUEST_IDS = 0xffff;
/** How long the probe waits for GET_VALUES_RESULT when the client has no `timeout`. */
const DEFAULT_PROBE_TIMEOUT_MS = 5000;

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return number > 0 ? number : undefined;
}

/** The per-connection request limit: FCGI_MAX_REQS (or the default), lowered by `cap`. */
export function requestLimit(maxReqs: number | undefined, cap: number | undefined): number {
  return Math.min(maxReqs ?? DEFAULT_MULTIPLEXED_REQUESTS, cap ?? MAX_REQUEST_IDS, MAX_REQUEST_IDS);
}

/** Multiplexing settings from a GET_VALUES answer, or undefined when the backend does not multiplex. */
export function multiplexSettings(
  values: Readonly<Record<string, string>>,
  cap?: number,
): MultiplexSettings | undefined {
  if (values[FCGI_MPXS_CONNS]?.trim() !== '1') return undefined;
  return {
    perConnection: requestLimit(positiveInteger(values[FCGI_MAX_REQS]), cap),
    maxConnections: positiveInteger(values[FCGI_MAX_CONNS]),
  };
}

export interface ProbeOptions {
  connectTimeout?: number | undefined;
  timeout?: number | undefined;
  cap?: number | undefined;
}

/**
 * Asks the backend with FCGI_GET_VALUES, on a connection of its own (php-fpm closes a connection after
 * answering a management record, so it could not carry a request afterwards). A backend that cannot
 * be reached rejects as a request would; one that answers UNKNOWN_TYPE, garbage, nothing, or closes
 * without answering does not multiplex.
 */
export async function probeMultiplexing(
  target: FcgiTarget,
  options: ProbeOptions,
): Promise<MultiplexSettings | undefined> {
  const socket = await connectSocket(target, { connectTimeout: options.connectTimeout });
  const connection = new Connection(socket, target);
  try {
    const timeout = options.timeout !== undefined && options.timeout > 0 ? options.timeout : undefined;
    const values = await askValues(connection, DEFAULT_VALUE_NAMES, timeout ?? DEFAULT_PROBE_TIMEOUT_MS);
    return multiplexSettings(values, options.cap);
  } catch {
    return undefined;
  } finally {
    connection.destroy();
  }
}
