export { type ClientOptions, createClient, type FcgiClient } from './client';
export {
  FastCGIClientError,
  type FastCGIClientErrorCode,
  FastCGIStatusError,
} from './errors';
export type { MultiplexOption } from './multiplex-mode';
export { headerParamName, isForwardableHeader } from './params-builder';
export type { FetchInit } from './request-body';
export { readStderr } from './stderr';
export { type FastCGITarget, parseTarget } from './target';
