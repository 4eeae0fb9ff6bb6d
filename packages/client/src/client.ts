import { encodeRawParams, ProtocolStatus } from '@fcgi/protocol';
import { Connection, connectSocket } from './connection';
import { abortReason, FcgiClientError, FcgiStatusError, timeoutError } from './errors';
import { Exchange } from './exchange';
import { queryValues } from './management';
import {
  type MultiplexOption,
  type MultiplexSettings,
  probeMultiplexing,
  requestLimit,
} from './multiplex-mode';
import { MultiplexPool } from './multiplex-pool';
import { buildParams } from './params-builder';
import { type Lease, type ParkDecision, Pool } from './pool';
import { bufferBody, type FetchInit, type PreparedRequest, prepareRequest } from './request-body';
import { type FcgiTarget, parseTarget } from './target';

export interface ClientOptions {
  /**
   * Most connections open at once; further requests wait for one. Default 8. With multiplexing each
   * connection carries several requests, and FCGI_MAX_CONNS (when the backend gives it) lowers this.
   */
  poolSize?: number;
  /** Milliseconds to establish a connection before failing with a TimeoutError. Default: no limit. */
  connectTimeout?: number;
  /**
   * Milliseconds from the fetch() call until the response head has arrived (waiting for a pooled
   * connection, connecting and the backend's work included). On expiry the request rejects with a
   * TimeoutError and its connection is destroyed. Default: no limit.
   */
  timeout?: number;
  /** CGI params added to (or overriding) every request. */
  params?: Record<string, string>;
  /** DOCUMENT_ROOT; with no scriptFilename, SCRIPT_FILENAME becomes documentRoot + the URL path. */
  documentRoot?: string;
  /** SCRIPT_FILENAME for every request, or a function of the request URL. */
  scriptFilename?: string | ((url: URL) => string);
  /** REMOTE_ADDR sent to the backend. Default '127.0.0.1'. */
  remoteAddress?: string;
  /** REMOTE_PORT sent to the backend. Default: not sent. */
  remotePort?: number;
  /** SERVER_SOFTWARE sent to the backend. Default 'fcgi-client'. */
  serverSoftware?: string;
  /**
   * Milliseconds an unused pooled connection stays open before the client closes it; 0 keeps it until
   * close(). Default 10000. Each open php-fpm connection holds one of its workers, idle or not.
   */
  idleTimeout?: number;
  /** Ask the backend to keep connections open (FCGI_KEEP_CONN) and pool them. Default true. */
  keepConn?: boolean;
  /** Called with each piece of STDERR text as it arrives. The text is also kept: see readStderr(). */
  onStderr?: (text: string, request: Request) => void;
  /** Largest response head accepted, in bytes. Default 65536. */
  maxHeadBytes?: number;
  /** Milliseconds to wait for END_REQUEST after sending ABORT_REQUEST before closing. Default 1000. */
  abortGraceMs?: number;
  /**
   * Most bytes of a streamed request body with no Content-Length to read into memory first, so that
   * CONTENT_LENGTH can be sent, as nginx does by default (php-fpm reads no body without it). Larger
   * bodies reject with REQUEST_BODY_TOO_LARGE. Default 0: stream such bodies without CONTENT_LENGTH.
   */
  bufferRequestBody?: number;
  /**
   * Send many requests at once over one connection, each with its own request id. `'auto'` asks the
   * backend once with FCGI_GET_VALUES (on a connection of its own) and multiplexes only when it answers
   * FCGI_MPXS_CONNS=1; `true` multiplexes without asking; `false` never does. A backend that answers a
   * concurrent request with FCGI_CANT_MPX_CONN is used one request per connection from then on.
   * Multiplexing needs keepConn. Default 'auto'.
   */
  multiplex?: MultiplexOption;
  /**
   * Multiplexing: most requests in flight at once on one connection. The backend's FCGI_MAX_REQS is
   * honoured and this only lowers it. Default: FCGI_MAX_REQS, else 100.
   */
  maxMultiplexedRequests?: number;
  /**
   * Multiplexing: most bytes of one response body kept while nobody reads them and other requests on
   * its connection still receive theirs. Past it that request alone is aborted (FCGI_ABORT_REQUEST) and
   * its body errors with RESPONSE_BUFFER_FULL. Default 1 MiB.
   */
  maxBufferedBodyBytes?: number;
  /**
   * Most requests waiting for a connection at once (all connections busy); more fetch() calls reject
   * at once with QUEUE_FULL. Default 10000.
   */
  maxQueuedRequests?: number;
}

export interface FcgiClient {
  /** Sends a request to the backend as a FastCGI RESPONDER request and resolves with its response. */
  fetch(input: Request | string | URL, init?: FetchInit): Promise<Response>;
  /** Asks the backend for FastCGI management values (FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS). */
  getValues(names?: string[]): Promise<Record<string, string>>;
  /**
   * Stops accepting requests and closes idle connections at once. Requests already started (or queued)
   * finish normally; the promise resolves when the last connection has closed. A response body that is
   * never read or cancelled keeps its connection, and close() waiting.
   */
  close(): Promise<void>;
}

const DEFAULT_POOL_SIZE = 8;

/**
 * How long a connection may carry a request without receiving a byte before the client suspects that
 * the backend has not accepted it yet. Backends answer well within this; php-fpm's accept queue does not.
 */
const UNANSWERED_GRACE_MS = 1000;

/**
 * php-fpm (and any worker-per-connection backend) gives a KEEP_CONN connection one worker until the
 * client closes it, and leaves further connections in its accept queue. An idle connection kept while
 * one of ours waits in that queue could hold the worker it needs forever (poolSize > pm.max_children).
 * A client cannot see whether a connection was accepted, only whether it was answered, and a backend
 * that accepts everything (@fcgi/responder) is merely still working on a connection that has no answer
 * yet: closing idle connections at once then opens a new connection for nearly every request. So an
 * idle connection is closed only once some busy connection has gone UNANSWERED_GRACE_MS without a
 * byte; until then it is kept, and the pool asks again when the oldest such connection reaches that age.
 */
function parkUnlessBlocking(_connection: Connection, busy: Iterable<Connection>): ParkDecision {
  let askAgainIn: number | undefined;
  const now = performance.now();
  for (const other of busy) {
    if (other.proven) continue;
    const left = other.openedAt + UNANSWERED_GRACE_MS - now;
    if (left <= 0) return false;
    askAgainIn = Math.min(askAgainIn ?? left, left);
  }
  return askAgainIn === undefined ? true : Math.ceil(askAgainIn);
}
const DEFAULT_ABORT_GRACE_MS = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_QUEUED_REQUESTS = 10_000;

/** Rejects the requests waiting in a multiplexed pool given up on, so they go to the classic pool. */
class PoolRetired extends Error {}

/** What #send needs from either pool. */
interface ConnectionPool {
  acquire(signal?: AbortSignal): Promise<Lease<Connection>>;
  release(connection: Connection): void;
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function validateCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

class Client implements FcgiClient {
  readonly #target: FcgiTarget;
  readonly #options: ClientOptions;
  readonly #pool: Pool<Connection>;
  readonly #keepConn: boolean;
  #closing: Promise<void> | undefined;
  /** Whether the client knows if it multiplexes (by its options, the probe, or a CANT_MPX_CONN). */
  #decided: boolean;
  /** The pool of multiplexed connections while the client multiplexes. */
  #multiplexPool: MultiplexPool<Connection> | undefined;
  /** Multiplexed pools given up after CANT_MPX_CONN, draining. */
  readonly #retiredPools: Array<Promise<void>> = [];
  #probe: Promise<void> | undefined;
  /**
   * fetch() calls accepted but not yet queued in a pool (preparing the body, waiting for the probe):
   * close() lets them reach a pool before closing the pools, so that they run like queued requests.
   */
  #admitted = 0;
  #admissionsDone: (() => void) | undefined;

  constructor(target: string, options: ClientOptions) {
    this.#target = parseTarget(target);
    this.#options = options;
    this.#keepConn = options.keepConn ?? true;
    validateCount('maxMultiplexedRequests', options.maxMultiplexedRequests);
    validateCount('maxQueuedRequests', options.maxQueuedRequests);
    // Without KEEP_CONN the backend closes after each request, so the pool only bounds concurrency.
    this.#pool = new Pool(
      options.poolSize ?? DEFAULT_POOL_SIZE,
      () => this.#connect((connection) => this.#pool.discard(connection)),
      parkUnlessBlocking,
      options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
      options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
    );
    const multiplex = this.#keepConn ? (options.multiplex ?? 'auto') : false;
    this.#decided = multiplex !== 'auto';
    if (multiplex === true) {
      this.#multiplexWith({
        perConnection: requestLimit(undefined, options.maxMultiplexedRequests),
        maxConnections: undefined,
      });
    }
  }

  async fetch(input: Request | string | URL, init?: FetchInit): Promise<Response> {
    if (this.#closing) throw new FcgiClientError('CLIENT_CLOSED', 'The FastCGI client is closed');
    this.#admitted++;
    let admitted = true;
    const queued = () => {
      if (!admitted) return;
      admitted = false;
      if (--this.#admitted === 0) this.#admissionsDone?.();
    };
    try {
      return await this.#admit(input, init, queued);
    } finally {
      queued();
    }
  }

  /** Prepares the request and sends it; `queued` is called once it waits in (or was given by) a pool. */
  async #admit(
    input: Request | string | URL,
    init: FetchInit | undefined,
    queued: () => void,
  ): Promise<Response> {
    let prepared = await prepareRequest(input, init);
    const bufferLimit = this.#options.bufferRequestBody ?? 0;
    if (bufferLimit > 0) prepared = await bufferBody(prepared, bufferLimit);
    const signal = prepared.request.signal;
    if (signal.aborted) throw abortReason(signal);
    const params = encodeRawParams(
      buildParams(prepared.request, prepared.url, {
        contentLength: prepared.contentLength,
        documentRoot: this.#options.documentRoot,
        scriptFilename: this.#options.scriptFilename,
        remoteAddress: this.#options.remoteAddress,
        remotePort: this.#options.remotePort,
        serverSoftware: this.#options.serverSoftware,
        overrides: [this.#options.params, init?.params],
      }),
    );
    return this.#withDeadline(signal, (deadline) => this.#send(prepared, params, deadline, queued));
  }

  getValues(names?: string[]): Promise<Record<string, string>> {
    if (this.#closing)
      return Promise.reject(new FcgiClientError('CLIENT_CLOSED', 'The FastCGI client is closed'));
    const query = queryValues(this.#target, names, {
      connectTimeout: this.#options.connectTimeout,
      timeout: this.#options.timeout,
    });
    // The query has a connection of its own, which our idle pooled connections may keep in a
    // worker-per-connection backend's accept queue (see parkUnlessBlocking): free them if it goes unanswered.
    const timer = setTimeout(() => this.#pool.closeIdle(), UNANSWERED_GRACE_MS);
    timer.unref();
    return query.finally(() => clearTimeout(timer));
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#admitted > 0) {
      // Requests already accepted still run: let them reach a pool first.
      await new Promise<void>((resolve) => {
        this.#admissionsDone = resolve;
      });
    }
    await Promise.all([this.#pool.close(), this.#multiplexPool?.close(), ...this.#retiredPools]);
  }

  /** The multiplexed pool, or undefined for one request per connection; probes the backend once. */
  async #chooseMultiplexPool(deadline: AbortSignal): Promise<MultiplexPool<Connection> | undefined> {
    if (this.#decided) return this.#multiplexPool;
    this.#probe ??= probeMultiplexing(this.#target, {
      connectTimeout: this.#options.connectTimeout,
      timeout: this.#options.timeout,
      cap: this.#options.maxMultiplexedRequests,
    })
      .then((settings) => {
        this.#decided = true;
        if (settings) this.#multiplexWith(settings);
      })
      .finally(() => {
        // An unreachable backend is asked again by the next request.
        this.#probe = undefined;
      });
    await untilAborted(this.#probe, deadline);
    return this.#multiplexPool;
  }

  #multiplexWith(settings: MultiplexSettings): void {
    const poolSize = this.#options.poolSize ?? DEFAULT_POOL_SIZE;
    const pool: MultiplexPool<Connection> = new MultiplexPool(
      () => this.#connect((connection) => pool.discard(connection)),
      {
        size: Math.min(poolSize, settings.maxConnections ?? poolSize),
        perConnection: settings.perConnection,
        idleTimeout: this.#options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
        maxQueued: this.#options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
      },
    );
    this.#multiplexPool = pool;
  }

  /** The backend said it multiplexes but refused a concurrent request: one request per connection. */
  #stopMultiplexing(pool: MultiplexPool<Connection>): void {
    if (this.#multiplexPool !== pool) return;
    this.#multiplexPool = undefined;
    this.#retiredPools.push(pool.close(new PoolRetired('multiplexing was turned off')));
  }

  /**
   * Runs `send` with a signal that aborts on the caller's signal or when `timeout` expires first,
   * and rejects with the right reason either way.
   */
  async #withDeadline(
    signal: AbortSignal,
    send: (deadline: AbortSignal) => Promise<Response>,
  ): Promise<Response> {
    const timeout = this.#options.timeout;
    if (timeout === undefined || timeout <= 0) return send(signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(timeoutError(`The FastCGI backend sent no response within ${timeout} ms`)),
      timeout,
    );
    try {
      return await send(controller.signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Sends the request on a pooled connection. When a reused connection turns out to be closed before
   * any response byte arrived (the server's idle timeout racing us), the request is sent again on
   * another connection, provided its body can be sent again.
   */
  async #send(
    prepared: PreparedRequest,
    params: Uint8Array,
    deadline: AbortSignal,
    queued: () => void,
  ): Promise<Response> {
    const userSignal = prepared.request.signal;
    for (;;) {
      const multiplexPool = await this.#chooseMultiplexPool(deadline);
      const pool: ConnectionPool = multiplexPool ?? this.#pool;
      const leasing = pool.acquire(deadline);
      queued();
      let lease: Lease<Connection>;
      try {
        lease = await leasing;
      } catch (error) {
        if (error instanceof PoolRetired) continue;
        throw error;
      }
      if (deadline.aborted) {
        pool.release(lease.connection);
        throw abortReason(deadline);
      }
      const exchange = new Exchange(lease.connection, {
        request: prepared.request,
        params,
        body: prepared.body,
        keepConn: this.#keepConn,
        abortGraceMs: this.#options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
        maxHeadBytes: this.#options.maxHeadBytes,
        onStderr: this.#stderrListener(prepared.request),
        multiplexed: multiplexPool !== undefined,
        maxBufferedBodyBytes: this.#options.maxBufferedBodyBytes,
      });
      // A timeout destroys the connection (a multiplexed one, shared, gets ABORT_REQUEST for this id);
      // the caller's abort tells the backend with ABORT_REQUEST.
      const onDeadline = () => {
        const reason = abortReason(deadline);
        if (reason instanceof DOMException && reason.name === 'TimeoutError' && !userSignal.aborted) {
          exchange.fail(reason);
        } else {
          exchange.abort(reason);
        }
      };
      const onUserAbort = () => exchange.abort(abortReason(userSignal));
      deadline.addEventListener('abort', onDeadline, { once: true });
      exchange.finished.then(() => {
        userSignal.removeEventListener('abort', onUserAbort);
        pool.release(lease.connection);
      });
      exchange.start();
      try {
        const response = await exchange.response;
        deadline.removeEventListener('abort', onDeadline);
        // The head is in: from now on only the caller's signal matters (it errors the body).
        if (!exchange.ended) userSignal.addEventListener('abort', onUserAbort, { once: true });
        return response;
      } catch (error) {
        deadline.removeEventListener('abort', onDeadline);
        if (
          multiplexPool &&
          error instanceof FcgiStatusError &&
          error.protocolStatus === ProtocolStatus.CantMpxConn
        ) {
          // The backend did not process it: send it again, one request per connection.
          this.#stopMultiplexing(multiplexPool);
          if (exchange.replayable && !deadline.aborted) continue;
          throw error;
        }
        const staleConnection =
          lease.reused &&
          !exchange.receivedAny &&
          exchange.replayable &&
          error instanceof FcgiClientError &&
          error.code === 'CONNECTION_CLOSED';
        if (!staleConnection || deadline.aborted) throw error;
      }
    }
  }

  #stderrListener(request: Request): ((text: string) => void) | undefined {
    const onStderr = this.#options.onStderr;
    return onStderr ? (text) => onStderr(text, request) : undefined;
  }

  async #connect(discard: (connection: Connection) => void): Promise<Connection> {
    const socket = await connectSocket(this.#target, { connectTimeout: this.#options.connectTimeout });
    const connection = new Connection(socket, this.#target);
    connection.onClose = () => discard(connection);
    return connection;
  }
}

/**
 * Creates a FastCGI client for a backend such as php-fpm or an @fcgi/responder app. `target` is
 * 'unix:/path', '/path', 'host:port', 'tcp://host:port' or '[::1]:port'.
 */
export function createClient(target: string, options: ClientOptions = {}): FcgiClient {
  return new Client(target, options);
}
