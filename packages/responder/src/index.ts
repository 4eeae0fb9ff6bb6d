import { LightResponse } from './light-response';

export { AppStatus } from './app-status';
export { serveConnection } from './connection';
export {
  ConnectionDeniedError,
  HandlerError,
  ProtocolError,
  type RequestLimitCode,
  RequestLimitError,
} from './errors';
export {
  lightResponseIsGlobal,
  useLightResponseGlobally,
  withLightResponseGlobally,
} from './global-response';
export { DEFAULTS } from './options';
export { serve } from './serve';
export type {
  ErrorContext,
  ErrorHook,
  ErrorOutcome,
  Handler,
  RequestInfo,
  RoleName,
  ServedConnection,
  ServeOptions,
  ServeResult,
} from './types';

export { LightResponse };
/**
 * Opt-in: `import { Response } from '@fcgi/responder'` gives handlers a Response that the responder
 * writes without building web streams or Headers (string and byte bodies). The global is untouched.
 */
export const Response: typeof globalThis.Response = LightResponse as unknown as typeof globalThis.Response;
