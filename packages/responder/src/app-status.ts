/** The appStatus sent in FCGI_END_REQUEST (web servers log it; none acts on it). */
export const AppStatus = {
  /** The handler's response was written completely. */
  Ok: 0,
  /** The handler, its response stream, or a limit failed the request. */
  Error: 1,
  /** FCGI_ABORT_REQUEST or handlerTimeout ended the request. */
  Aborted: 2,
} as const;
export type AppStatus = (typeof AppStatus)[keyof typeof AppStatus];
