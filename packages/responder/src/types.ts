import type { AddressInfo, Server } from 'node:net';

export type RoleName = 'responder' | 'authorizer' | 'filter';

/** What the handler receives besides the Request: the raw FastCGI view of it. */
export interface RequestInfo {
  /** Raw CGI params; a repeated HTTP_* param has its values joined with ", ", any other keeps its last. */
  readonly params: Readonly<Record<string, string>>;
  /** REMOTE_ADDR: the HTTP client's address as the web server saw it. */
  readonly remoteAddress: string | undefined;
  /** REMOTE_PORT as a number. */
  readonly remotePort: number | undefined;
  readonly requestId: number;
  readonly role: RoleName;
  /** Whether the web server asked to keep the connection open (FCGI_KEEP_CONN). */
  readonly keepConn: boolean;
  /** Aborts on FCGI_ABORT_REQUEST, when the connection closes, and on handlerTimeout. */
  readonly signal: AbortSignal;
}

export type Handler = (request: Request, info: RequestInfo) => Response | Promise<Response>;

export interface ErrorContext {
  request?: Request;
  info?: RequestInfo;
}

export type ErrorOutcome = Response | { response?: Response; appStatus?: number } | undefined;

export type ErrorHook = (
  error: Error,
  context: ErrorContext,
) => // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only logs returns nothing, sync or async
ErrorOutcome | void | Promise<ErrorOutcome | void>;

export interface ServeOptions {
  /** TCP port (with host). */
  port?: number;
  /** TCP host; default 127.0.0.1. */
  host?: string;
  /** Unix socket path; a stale socket file is replaced, a live one is never stolen. */
  socketPath?: string;
  /** chmod applied to socketPath right after binding. Default 0o660 (owner and group), whatever the umask. */
  socketMode?: number;
  /** An existing net.Server to serve on (listening or not: it is used as given, and closed by close()). */
  server?: Server;
  /** A listening socket inherited as a file descriptor. */
  inheritedFd?: number;
  /** Peers allowed to connect over TCP: IPv4/IPv6 addresses and CIDR ranges. Unix sockets are always allowed. */
  allowedAddresses?: string[];
  /** Aborting it closes the server, like close(). */
  signal?: AbortSignal;
  /** Close a connection with no running request and no incoming bytes for this long (ms). */
  idleTimeout?: number;
  /** After close() starts, how long an idle connection stays open for a request already on the wire (ms). */
  idleGraceMs?: number;
  /** Refuse connections beyond this many at once. */
  maxConnections?: number;
  /** Close a connection after it has served this many requests. */
  maxRequestsPerConnection?: number;
  /** Cap on one request body (STDIN bytes). */
  maxBodyBytes?: number;
  /** Cap on the PARAMS stream of one request (bytes). */
  maxParamsBytes?: number;
  /** Cap on the number of params of one request. */
  maxParamsCount?: number;
  /**
   * Request body bytes buffered for a handler that is not reading before the socket is paused (or,
   * on a connection shared with other requests, before this request is answered 503). Also caps a
   * partial non-stream record. Default 8 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Bytes one connection may hold, across all its request ids: unread bodies, params, and output the
   * peer has not taken. Over it, the request holding the most is answered 503 (or, alone, its socket
   * pauses), and reading stops while output is over it. Default 16 MiB.
   */
  maxConnectionBytes?: number;
  /** How long a request's PARAMS may take to arrive after its BEGIN_REQUEST; then 408 (ms). Default 60 s. */
  paramsTimeout?: number;
  /** How long a handler waiting for its body waits for the next STDIN record; then 408 (ms). Default 60 s. */
  bodyTimeout?: number;
  /** How long output may wait for the web server to take any of it; then the connection is closed (ms). Default 60 s. */
  sendTimeout?: number;
  /**
   * The FastCGI roles served; a BEGIN_REQUEST for another gets FCGI_UNKNOWN_ROLE. Default
   * ['responder']: an app becomes an Authorizer only when it says so.
   */
  roles?: RoleName[];
  /** How long close() lets in-flight requests run before destroying their connections (ms). */
  closeTimeout?: number;
  /** Abort a request whose handler has not finished its response after this long (ms). */
  handlerTimeout?: number;
  /** Send error text to the web server's log on FCGI_STDERR. */
  verboseErrors?: boolean;
  /** Called for every error; may return the response to send instead of the default 500. */
  onError?: ErrorHook;
  /** Serve concurrent request ids on one connection (FCGI_MPXS_CONNS=1). Default true. */
  multiplex?: boolean;
  /** With multiplex, concurrent requests per connection (FCGI_MAX_REQS); beyond: OVERLOADED. Default 100. */
  maxConcurrentRequests?: number;
}

/** What serveConnection returns: the life of that one connection. */
export interface ServedConnection {
  /** Resolves once the stream has closed and every request on it is over. */
  readonly closed: Promise<void>;
  /** Closes the stream now; running requests are aborted (their signals fire). */
  destroy(): void;
}

export interface ServeResult {
  close(): Promise<void>;
  address: AddressInfo | string | null;
}
