// Well-formed FastCGI requests as a web server sends them, and what a legitimate client makes of the
// answer.
import {
  decodeEndRequestBody,
  encodeBeginRequest,
  encodeParamsRecords,
  encodeStreamEnd,
  encodeStreamRecords,
  type FcgiRecord,
  parseResponseHead,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { Peer } from './peer';

/** The params nginx sends for a request to `uri`, plus `extra`. */
export function requestParams(method: string, uri: string, extra: Record<string, string> = {}) {
  const [path = '/', query = ''] = uri.split('?');
  return {
    REQUEST_METHOD: method,
    REQUEST_URI: uri,
    SCRIPT_NAME: path,
    QUERY_STRING: query,
    SERVER_NAME: 'localhost',
    SERVER_PORT: '8080',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '192.0.2.7',
    REMOTE_PORT: '51234',
    HTTP_HOST: 'stress.test',
    ...extra,
  };
}

export interface RequestRecordsOptions {
  id?: number;
  keepConn?: boolean;
  method?: string;
  uri?: string;
  /** Sent whole, then the STDIN end unless openStdin. */
  body?: Uint8Array;
  /** Leave STDIN open: the body is still to come (or never comes). */
  openStdin?: boolean;
  extraParams?: Record<string, string>;
}

/** BEGIN_REQUEST, PARAMS and STDIN records of one request. */
export function requestRecords(options: RequestRecordsOptions = {}): Uint8Array[] {
  const id = options.id ?? 1;
  const extra = { ...options.extraParams };
  if (options.body) extra.CONTENT_LENGTH ??= String(options.body.length);
  const parts = [
    encodeBeginRequest(id, Role.Responder, options.keepConn ? 1 : 0),
    ...encodeParamsRecords(id, requestParams(options.method ?? 'GET', options.uri ?? '/hello', extra)),
  ];
  if (options.body && options.body.length > 0)
    parts.push(...encodeStreamRecords(RecordType.Stdin, id, options.body));
  if (!options.openStdin) parts.push(encodeStreamEnd(RecordType.Stdin, id));
  return parts;
}

/** What one response came to, read from the records of its request id. */
export interface Answer {
  status: number;
  body: string;
  protocolStatus: number;
}

/** The answer in `records` for `id`, or undefined while its END_REQUEST has not arrived. */
export function answerFor(records: readonly FcgiRecord[], id: number): Answer | undefined {
  const mine = records.filter((record) => record.requestId === id);
  const end = mine.find((record) => record.type === RecordType.EndRequest);
  if (!end) return undefined;
  const stdout = Buffer.concat(
    mine.filter((record) => record.type === RecordType.Stdout).map((record) => record.content),
  );
  const parsed = stdout.length > 0 ? parseResponseHead(stdout) : null;
  return {
    status: parsed?.head.status ?? 0,
    body: parsed ? stdout.subarray(parsed.bodyOffset).toString() : '',
    protocolStatus: decodeEndRequestBody(end.content).protocolStatus,
  };
}

/** How a legitimate request ended: "ok", or what went wrong ("status 503", "ECONNRESET", "timeout", ...). */
export type Outcome = string;
export const OK: Outcome = 'ok';

const EXPECTED_BODY = 'hello\n';

/**
 * One GET /hello on a fresh connection, as a web server without keep-alive sends it, given
 * `timeoutMs` from connect to END_REQUEST.
 */
export async function legitRequest(path: string, timeoutMs: number): Promise<Outcome> {
  let peer: Peer;
  try {
    peer = await Peer.open(path);
  } catch (error) {
    return `connect ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  try {
    if ((await peer.write(requestRecords())) === 'closed')
      return peer.error?.code ?? 'closed before the request was sent';
    const ended = await peer.waitFor((records) => answerFor(records, 1) !== undefined, timeoutMs);
    const answer = answerFor(peer.records, 1);
    if (!ended || !answer) {
      if (peer.isOpen) return 'timeout';
      return peer.error?.code ?? 'closed without an answer';
    }
    if (answer.status !== 200) return `status ${answer.status}`;
    return answer.body === EXPECTED_BODY ? OK : 'wrong body';
  } finally {
    peer.destroy();
  }
}
