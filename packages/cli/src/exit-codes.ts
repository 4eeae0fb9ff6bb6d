/**
 * The process exit statuses of the `fcgi` command. `request` follows `curl --fail`: scripts and health
 * checks can tell "the backend answered with an error" from "nothing answered at all".
 */
export const ExitCode = {
  /** Success; for `request`, a 2xx or 3xx response. */
  Ok: 0,
  /** The backend answered with a 4xx/5xx status, or the command failed at run time. */
  Failure: 1,
  /** The command line was wrong: unknown option, missing argument, invalid target. */
  Usage: 2,
  /** No FastCGI conversation happened: the connection was refused, the socket is missing, a timeout. */
  Unreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
