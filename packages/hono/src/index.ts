export { getConnInfo } from './conninfo';
export { type FcgiBindings, type FcgiEnv, isRequestInfo } from './env';
export { type HonoFetchApp, serve } from './serve';
