export { getConnInfo } from './conninfo';
export { type FcgiBindings, type FcgiEnv, isRequestInfo } from './env';
export {
  createHonoHandler,
  type HonoFetchApp,
  type HonoHandlerOptions,
  type HonoServeOptions,
  serve,
} from './serve';
