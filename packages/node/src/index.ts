export { serve } from './serve';
export { type NodeApp, type NodeListener, toFetchHandler } from './to-fetch-handler';
