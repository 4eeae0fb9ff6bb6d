export { type ClientOptions, createClient, type FcgiClient } from './client';
export {
  FastCGIClientError,
  type FastCGIClientErrorCode,
  FastCGIStatusError,
  FcgiClientError,
  type FcgiClientErrorCode,
  FcgiStatusError,
} from './errors';
export type { MultiplexOption } from './multiplex-mode';
export { headerParamName, isForwardableHeader } from './params-builder';
export type { FetchInit } from './request-body';
export { readStderr } from './stderr';
export { type FastCGITarget, type FcgiTarget, parseTarget } from './target';
