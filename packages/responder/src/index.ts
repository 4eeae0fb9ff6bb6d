export { AppStatus } from './app-status';
export { Connection, serveConnection } from './connection';
export { ConnectionDeniedError, HandlerError, ProtocolError } from './errors';
export { DEFAULTS } from './options';
export { serve } from './serve';
export type {
  ErrorContext,
  ErrorHook,
  ErrorOutcome,
  Handler,
  RequestInfo,
  RoleName,
  ServeOptions,
  ServeResult,
} from './types';
