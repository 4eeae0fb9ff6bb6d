export {
  type EventLike,
  type FcgiHandlerContext,
  type FcgiRuntime,
  type FcgiServerRequest,
  getRequestInfo,
} from './runtime';
export {
  createH3Handler,
  type H3FetchApp,
  type H3HandlerOptions,
  type H3ServeOptions,
  type H3WebHandler,
  serve,
} from './serve';
