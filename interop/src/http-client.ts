/** A small node:http client: raw status, repeated headers and body bytes, as the checks need them. */

import { createHash } from 'node:crypto';
import { type Agent, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';

export interface RequestOptions {
  method?: string;
  /** The request target, sent as is (already percent-encoded). */
  path: string;
  /** An array value sends that header once per element. */
  headers?: Record<string, string | string[]>;
  body?: Uint8Array;
  /** Send the body with chunked transfer-encoding (no Content-Length), as a streaming upload does. */
  chunked?: boolean;
  /** Fail when the connection is idle this long (default IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  agent?: Agent;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** [name, value, name, value, ...] exactly as received. */
  rawHeaders: string[];
  body: Buffer;
}

const BODY_WRITE_CHUNK = 1024 * 1024;
/** A request that sees no traffic this long has hung: fail it rather than the whole test's timeout. */
export const IDLE_TIMEOUT_MS = 30_000;

/** Sends the request and resolves with the response stream once its head has arrived. */
export function openResponse(baseUrl: string, options: RequestOptions): Promise<IncomingMessage> {
  const url = new URL(baseUrl);
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (options.body && !options.chunked) headers['content-length'] = String(options.body.byteLength);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method: options.method ?? 'GET',
      path: options.path,
      headers,
      agent: options.agent,
    });
    const idleMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    req.setTimeout(idleMs, () => {
      req.destroy(new Error(`${options.method ?? 'GET'} ${options.path}: no traffic for ${idleMs} ms`));
    });
    req.once('response', resolve);
    req.once('error', reject);
    const body = options.body;
    if (!body) {
      req.end();
      return;
    }
    // Written in slices with backpressure, so a 50 MiB body is streamed like a real upload.
    let offset = 0;
    const writeMore = () => {
      while (offset < body.byteLength) {
        const slice = body.subarray(offset, offset + BODY_WRITE_CHUNK);
        offset += slice.byteLength;
        if (!req.write(slice)) {
          req.once('drain', writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}

export async function readBody(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function fetchRaw(baseUrl: string, options: RequestOptions): Promise<HttpResponse> {
  const response = await openResponse(baseUrl, options);
  const body = await readBody(response);
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    rawHeaders: response.rawHeaders,
    body,
  };
}

export async function fetchJson<T>(baseUrl: string, options: RequestOptions): Promise<T> {
  const response = await fetchRaw(baseUrl, options);
  if (response.status !== 200) {
    throw new Error(`${options.path}: expected 200, got ${response.status}: ${response.body.toString()}`);
  }
  return JSON.parse(response.body.toString('utf8')) as T;
}

/** The values of every header field named `name` (case-insensitive), in order, unjoined. */
export function headerValues(response: Pick<HttpResponse, 'rawHeaders'>, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
    if (response.rawHeaders[i]!.toLowerCase() === name.toLowerCase())
      values.push(response.rawHeaders[i + 1]!);
  }
  return values;
}

export interface StreamedDigest {
  status: number;
  headers: IncomingHttpHeaders;
  length: number;
  sha256: string;
}

/** Streams the response body into a hash (for transfers too big to hold). */
export async function fetchDigest(baseUrl: string, options: RequestOptions): Promise<StreamedDigest> {
  const response = await openResponse(baseUrl, options);
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of response) {
    length += (chunk as Buffer).byteLength;
    hash.update(chunk as Buffer);
  }
  if (!response.complete) throw new Error(`${options.path}: the response ended before it was complete`);
  return { status: response.statusCode ?? 0, headers: response.headers, length, sha256: hash.digest('hex') };
}
