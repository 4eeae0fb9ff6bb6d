import type { ErrorHook, ServeOptions } from './types';

/** Defaults for every option that has one; the README's option table mirrors this object. */
export const DEFAULTS = {
  host: '127.0.0.1',
  // Longer than nginx's 60 s upstream keepalive_timeout, so the web server is the side that closes.
  idleTimeout: 75_000,
  idleGraceMs: 250,
  maxParamsBytes: 65_536,
  maxParamsCount: 1000,
  maxBufferedBytes: 8 * 1024 * 1024,
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
