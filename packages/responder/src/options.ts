import type { ErrorHook, RoleName, ServeOptions } from './types';

/** The roles a connection may serve; Filter is never served (its BEGIN_REQUEST gets UNKNOWN_ROLE). */
export type ServedRole = Exclude<RoleName, 'filter'>;
const SERVABLE_ROLES: readonly ServedRole[] = ['responder', 'authorizer'];

/** Defaults for every option that has one; the README's option table mirrors this object. */
export const DEFAULTS = {
  host: '127.0.0.1',
  // Longer than nginx's 60 s upstream keepalive_timeout, so the web server is the side that closes.
  idleTimeout: 75_000,
  idleGraceMs: 250,
  maxParamsBytes: 65_536,
  maxParamsCount: 1000,
  maxBufferedBytes: 8 * 1024 * 1024,
  // Everything one connection holds: unread bodies and params of all its ids, and output queued for
  // the peer. Two requests' worth of maxBufferedBytes, so that one request alone keeps the whole of
  // its own limit and a multiplexing web server is not shed early.
  maxConnectionBytes: 16 * 1024 * 1024,
  // The three phase deadlines are nginx's client_header_timeout, client_body_timeout and send_timeout.
  paramsTimeout: 60_000,
  bodyTimeout: 60_000,
  sendTimeout: 60_000,
  roles: ['responder'] as readonly ServedRole[],
  closeTimeout: 5000,
  verboseErrors: false,
  multiplex: true,
  maxConcurrentRequests: 100,
} as const;

/** The options one connection needs, with defaults applied. */
export interface ConnectionOptions {
  idleTimeout: number;
  maxConnections: number | undefined;
  maxRequestsPerConnection: number | undefined;
  maxBodyBytes: number | undefined;
  maxParamsBytes: number;
  maxParamsCount: number;
  /**
   * ServeOptions.maxBufferedBytes: body bytes held for a handler that is not reading. Named apart from
   * @fcgi/protocol's RecordDecoder `maxBufferedBytes`, which caps one partial record on the wire.
   */
  maxUnreadBodyBytes: number;
  /** Bytes one connection may hold across all its request ids, input and output together. */
  maxConnectionBytes: number;
  /** From BEGIN_REQUEST to the end of PARAMS. */
  paramsTimeout: number;
  /** How long a handler waiting for its body waits for the next STDIN record. */
  bodyTimeout: number;
  /** How long queued output may wait for the peer to take any of it. */
  sendTimeout: number;
  roles: ReadonlySet<ServedRole>;
  handlerTimeout: number | undefined;
  verboseErrors: boolean;
  onError: ErrorHook | undefined;
  multiplex: boolean;
  maxConcurrentRequests: number;
}

export function connectionOptions(options: ServeOptions = {}): ConnectionOptions {
  return {
    idleTimeout: positive('idleTimeout', options.idleTimeout) ?? DEFAULTS.idleTimeout,
    maxConnections: positive('maxConnections', options.maxConnections),
    maxRequestsPerConnection: positive('maxRequestsPerConnection', options.maxRequestsPerConnection),
    maxBodyBytes: nonNegative('maxBodyBytes', options.maxBodyBytes),
    maxParamsBytes: positive('maxParamsBytes', options.maxParamsBytes) ?? DEFAULTS.maxParamsBytes,
    maxParamsCount: positive('maxParamsCount', options.maxParamsCount) ?? DEFAULTS.maxParamsCount,
    maxUnreadBodyBytes: positive('maxBufferedBytes', options.maxBufferedBytes) ?? DEFAULTS.maxBufferedBytes,
    maxConnectionBytes:
      positive('maxConnectionBytes', options.maxConnectionBytes) ?? DEFAULTS.maxConnectionBytes,
    paramsTimeout: positive('paramsTimeout', options.paramsTimeout) ?? DEFAULTS.paramsTimeout,
    bodyTimeout: positive('bodyTimeout', options.bodyTimeout) ?? DEFAULTS.bodyTimeout,
    sendTimeout: positive('sendTimeout', options.sendTimeout) ?? DEFAULTS.sendTimeout,
    roles: servedRoles(options.roles ?? DEFAULTS.roles),
    handlerTimeout: positive('handlerTimeout', options.handlerTimeout),
    verboseErrors: options.verboseErrors ?? DEFAULTS.verboseErrors,
    onError: options.onError,
    multiplex: options.multiplex ?? DEFAULTS.multiplex,
    maxConcurrentRequests:
      positive('maxConcurrentRequests', options.maxConcurrentRequests) ?? DEFAULTS.maxConcurrentRequests,
  };
}

export function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export function nonNegative(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be >= 0, got ${value}`);
  return value;
}

function servedRoles(roles: readonly RoleName[]): ReadonlySet<ServedRole> {
  if (!Array.isArray(roles) || roles.length === 0)
    throw new RangeError(`roles must list at least one of ${SERVABLE_ROLES.join(', ')}`);
  for (const role of roles) {
    if (!SERVABLE_ROLES.includes(role as ServedRole))
      throw new RangeError(
        `roles: ${JSON.stringify(role)} is not served; use ${SERVABLE_ROLES.join(' or ')}`,
      );
  }
  return new Set(roles as ServedRole[]);
}
