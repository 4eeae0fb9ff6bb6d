// A small raw FastCGI client for tests: it speaks records through @fcgi/protocol and exposes every
// record the responder sends, so tests can check the wire and not just a parsed response.
import { connect, type Socket } from 'node:net';
import {
  decodeEndRequestBody,
  encodeBeginRequest,
  encodeParamsRecords,
  encodeStreamEnd,
  encodeStreamRecords,
  type FcgiRecord,
  parseResponseHead,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';

export type Target = string | { port: number; host?: string };

export interface FcgiResult {
  records: FcgiRecord[];
  stdout: Buffer;
  stderr: string;
  appStatus: number;
  protocolStatus: number;
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  header(name: string): string | undefined;
}

export interface RequestOptions {
  id?: number;
  params?: Record<string, string> | Array<[string, string]>;
  body?: Uint8Array | string;
  keepConn?: boolean;
  role?: number;
  /** Leave STDIN open (no empty record) so the test can keep streaming. */
  openStdin?: boolean;
}

export class RawClient {
  readonly records: FcgiRecord[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new RecordDecoder();
  private waiters: Array<() => void> = [];
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const record of this.decoder.push(chunk)) {
        this.records.push({ ...record, content: Buffer.from(record.content) });
      }
      this.notify();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      });
    });
  }

  static connect(target: Target): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket =
        typeof target === 'string'
          ? connect({ path: target })
          : connect({ port: target.port, host: target.host ?? '127.0.0.1' });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(bytes: Uint8Array | Uint8Array[]): void {
    for (const part of Array.isArray(bytes) ? bytes : [bytes]) this.socket.write(part);
  }

  /** BEGIN_REQUEST + PARAMS (+ STDIN unless openStdin) for one request. */
  begin(options: RequestOptions = {}): void {
    this.write(requestRecords(options));
  }

  sendStdin(id: number, data: Uint8Array | string): void {
    this.write(encodeStreamRecords(RecordType.Stdin, id, toBytes(data)));
  }

  endStdin(id: number): void {
    this.write(encodeStreamEnd(RecordType.Stdin, id));
  }

  /** Waits until `predicate` holds for the records received so far (or the connection closes). */
  async waitFor(predicate: (records: FcgiRecord[]) => boolean): Promise<void> {
    while (!predicate(this.records)) {
      if (this.isClosed)
        throw new Error(`connection closed; records so far: ${describeRecords(this.records)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
      });
    }
  }

  /** Waits for END_REQUEST of `id` and returns everything for that id, removing it from `records`. */
  async response(id = 1): Promise<FcgiResult> {
    await this.waitFor((records) =>
      records.some((r) => r.requestId === id && r.type === RecordType.EndRequest),
    );
    const mine = this.records.filter((r) => r.requestId === id);
    for (const record of mine) this.records.splice(this.records.indexOf(record), 1);
    return toResult(mine);
  }

  /** Resolves when the responder closes the connection. */
  async waitClosed(): Promise<void> {
    await this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    // Several responses may be awaited at once (multiplexing): wake every waiter to re-check.
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

export function requestRecords(options: RequestOptions = {}): Uint8Array[] {
  const id = options.id ?? 1;
  const params = options.params ?? { REQUEST_METHOD: 'GET', REQUEST_URI: '/' };
  const parts: Uint8Array[] = [
    encodeBeginRequest(id, options.role ?? Role.Responder, options.keepConn ? 1 : 0),
    ...encodeParamsRecords(id, params),
  ];
  if (options.body !== undefined)
    parts.push(...encodeStreamRecords(RecordType.Stdin, id, toBytes(options.body)));
  if (!options.openStdin) parts.push(encodeStreamEnd(RecordType.Stdin, id));
  return parts;
}

export function toResult(records: FcgiRecord[]): FcgiResult {
  const stdout = Buffer.concat(records.filter((r) => r.type === RecordType.Stdout).map((r) => r.content));
  const stderr = Buffer.concat(
    records.filter((r) => r.type === RecordType.Stderr).map((r) => r.content),
  ).toString();
  const end = records.find((r) => r.type === RecordType.EndRequest);
  const { appStatus, protocolStatus } = end
    ? decodeEndRequestBody(end.content)
    : { appStatus: -1, protocolStatus: -1 };
  const parsed = stdout.length > 0 ? parseResponseHead(stdout) : null;
  const headers = parsed?.head.headers ?? [];
  return {
    records,
    stdout,
    stderr,
    appStatus,
    protocolStatus,
    status: parsed?.head.status ?? 0,
    headers,
    body: parsed ? stdout.subarray(parsed.bodyOffset) : Buffer.alloc(0),
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** One request on a fresh connection. */
export async function fcgiRequest(target: Target, options: RequestOptions = {}): Promise<FcgiResult> {
  const client = await RawClient.connect(target);
  try {
    client.begin(options);
    return await client.response(options.id ?? 1);
  } finally {
    client.close();
  }
}

export function describeRecords(records: FcgiRecord[]): string {
  return records.map((r) => `${r.type}#${r.requestId}(${r.content.length})`).join(' ');
}

/** Typical params for a request to `uri`. */
export function params(
  method: string,
  uri: string,
  extra: Record<string, string> = {},
): Record<string, string> {
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
    HTTP_HOST: 'example.test:8080',
    ...extra,
  };
}
