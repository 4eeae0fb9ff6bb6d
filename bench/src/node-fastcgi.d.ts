// npm node-fastcgi ships no types; this is the part of its node:http-like surface the bench uses.
declare module 'node-fastcgi' {
  import type { Server } from 'node:net';

  type Listener = (req: unknown, res: unknown) => void;
  const fcgi: { createServer(responder: Listener): Server };
  export default fcgi;
}
