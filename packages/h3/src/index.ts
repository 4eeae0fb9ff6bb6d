export {
  type EventLike,
  type FcgiHandlerContext,
  type FcgiRuntime,
  type FcgiServerRequest,
  getRequestInfo,
} from './runtime';
export { type H3FetchApp, type H3WebHandler, serve } from './serve';
