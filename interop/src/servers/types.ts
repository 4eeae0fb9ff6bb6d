import type { Backend } from '../conformance-app';
import type { RunDir } from '../run-dir';

/** A web server started in front of the app for one column. */
export interface RunningWebServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly port: number;
  /** The files the server writes its logs to (kept for failed runs). */
  stop(): Promise<void>;
}

export type StartWebServer = (runDir: RunDir, backend: Backend) => Promise<RunningWebServer>;

/** One column of the matrix: a web server, the transport to the app, and what that server can do. */
export interface Column {
  /** e.g. "nginx (unix)": the describe block's and the matrix column's name. */
  readonly name: string;
  readonly transport: Backend['transport'];
  readonly start: StartWebServer;
  /** Run the 100 MiB download and the 50 MiB upload/echo here (once per web server). */
  readonly bigTransfers: boolean;
  /** Why this server cannot echo a body it is still receiving, if it cannot. */
  readonly halfDuplex?: string;
  /** The server keeps FastCGI connections open and reuses them (FCGI_KEEP_CONN). */
  readonly keepsBackendConnections?: boolean;
  /** Why a HEAD response may lack Content-Length here, if it may. */
  readonly dropsContentLength?: string;
  /** Why every check of this column is skipped (the column is listed, its server never started). */
  readonly skipAll?: string;
  /** Why the multiplexing check is skipped here (absent: the server multiplexes FastCGI connections). */
  readonly noMultiplexing?: string;
  /** Why a chunked upload (no Content-Length) of 1 MiB cannot get through, if it cannot. */
  readonly rejectsChunkedUploads?: string;
  /** The column reaches the app through cgi-fcgi, whose raw output shows a stray HEAD body. */
  readonly rawCgi?: boolean;
}
