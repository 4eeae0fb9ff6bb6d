export {
  createTRPCHandler,
  type FcgiCreateContextFn,
  type FcgiCreateContextFnOptions,
  type TRPCHandlerOptions,
} from './handler';
export { serve, serveTRPC, type TRPCServeOptions } from './serve';
