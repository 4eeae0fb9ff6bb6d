export {
  createTRPCHandler,
  type FcgiCreateContextFn,
  type FcgiCreateContextFnOptions,
  type TRPCHandlerOptions,
} from './handler';
export { serveTRPC, type TRPCServeOptions } from './serve';
