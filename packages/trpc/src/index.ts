export {
  createTRPCHandler,
  type FcgiCreateContextFn,
  type FcgiCreateContextFnOptions,
  type TRPCHandlerOptions,
} from './handler';
export { serveTRPC } from './serve';
