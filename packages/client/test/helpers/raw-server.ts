import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeBeginRequestBody,
  decodeParams,
  encodeEndRequest,
  encodeGetValuesResult,
  encodeStreamEnd,
  encodeStreamRecords,
  type FcgiRecord,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
} from '@fcgi/protocol';

const encoder = new TextEncoder();

/** One request as a test backend sees it, with helpers to answer it in raw records. */
export class RawRequest {
  readonly requestId: number;
  readonly role: number;
  readonly keepConn: boolean;
  readonly connection: RawConnection;
  params: Record<string, string> = {};
  /** Content length of every STDIN record received (the empty terminator included). */
  readonly stdinRecordSizes: number[] = [];
  readonly #stdin: Uint8Array[] = [];
  #paramsBytes: Uint8Array[] = [];
  #stdinDone!: () => void;
  #aborted!: () => void;
  /** Resolves when the empty STDIN record arrives. */
  readonly stdinEnded = new Promise<void>((resolve) => {
    this.#stdinDone = resolve;
  });
  /** Resolves when an ABORT_REQUEST for this request arrives. */
  readonly abortReceived = new Promise<void>((resolve) => {
    this.#aborted = resolve;
  });

  constructor(connection: RawConnection, requestId: number, role: number, keepConn: boolean) {
    this.connection = connection;
    this.requestId = requestId;
    this.role = role;
    this.keepConn = keepConn;
  }

  get stdin(): Uint8Array {
    return Buffer.concat(this.#stdin);
  }

  /** @internal */ onParams(content: Uint8Array): boolean {
    if (content.length > 0) {
      this.#paramsBytes.push(content.slice());
      return false;
    }
    this.params = Object.fromEntries(decodeParams(Buffer.concat(this.#paramsBytes), { encoding: 'latin1' }));
    this.#paramsBytes = [];
    return true;
  }

  /** @internal */ onStdin(content: Uint8Array): void {
    this.stdinRecordSizes.push(content.length);
    if (content.length === 0) this.#stdinDone();
    else this.#stdin.push(content.slice());
  }

  /** @internal */ onAbort(): void {
    this.#aborted();
  }

  stdout(data: string | Uint8Array): boolean {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    return this.connection.write(encodeStreamRecords(RecordType.Stdout, this.requestId, bytes));
  }

  stderr(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    this.connection.write(encodeStreamRecords(RecordType.Stderr, this.requestId, bytes));
  }

  /** Ends STDOUT and the request, then closes the connection unless the client asked to keep it. */
  end(protocolStatus: number = ProtocolStatus.RequestComplete, appStatus = 0): void {
    this.connection.write(this.endRecords(protocolStatus, appStatus));
    if (!this.keepConn) this.connection.socket.end();
  }

  /** The records that end this request (empty STDOUT, END_REQUEST), for the caller to write; frees its id. */
  endRecords(protocolStatus: number = ProtocolStatus.RequestComplete, appStatus = 0): Uint8Array[] {
    this.connection.onEnded(this);
    return [
      encodeStreamEnd(RecordType.Stdout, this.requestId),
      encodeEndRequest(this.requestId, appStatus, protocolStatus),
    ];
  }

  /** A whole response: head lines, blank line, body, END_REQUEST. */
  respond(head: string, body = ''): void {
    this.stdout(`${head}\r\n\r\n${body}`);
    this.end();
  }
}

export type RawHandler = (request: RawRequest) => void | Promise<void>;

/** One accepted connection: decodes records, tracks requests, logs every record type received. */
export class RawConnection {
  readonly socket: Socket;
  readonly received: FcgiRecord[] = [];
  readonly requests: RawRequest[] = [];
  readonly #active = new Map<number, RawRequest>();
  /** Most requests this connection had open at once. */
  maxActive = 0;
  readonly #decoder = new RecordDecoder();
  readonly #onFirstBegin: (connection: RawConnection) => void;
  readonly #values: Readonly<Record<string, string>>;
  readonly closed: Promise<void>;

  constructor(
    socket: Socket,
    handler: RawHandler,
    onRequest: (request: RawRequest) => void,
    onFirstBegin: (connection: RawConnection) => void,
    values: Readonly<Record<string, string>>,
  ) {
    this.#onFirstBegin = onFirstBegin;
    this.#values = values;
    this.socket = socket;
    this.closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const record of this.#decoder.push(chunk)) {
        this.received.push({ ...record, content: record.content.slice() });
        this.#onRecord(record, handler, onRequest);
      }
    });
  }

  /** Requests begun and not yet ended on this connection. */
  get activeCount(): number {
    return this.#active.size;
  }

  /** @internal */ onEnded(request: RawRequest): void {
    if (this.#active.get(request.requestId) === request) this.#active.delete(request.requestId);
  }

  write(chunks: Uint8Array[]): boolean {
    let flowing = true;
    for (const chunk of chunks) flowing = this.socket.write(chunk);
    return flowing;
  }

  #onRecord(record: FcgiRecord, handler: RawHandler, onRequest: (request: RawRequest) => void): void {
    const request = this.#active.get(record.requestId);
    switch (record.type) {
      case RecordType.BeginRequest: {
        const begin = decodeBeginRequestBody(record.content);
        const created = new RawRequest(this, record.requestId, begin.role, begin.keepConn);
        if (this.requests.length === 0) this.#onFirstBegin(this);
        this.#active.set(record.requestId, created);
        this.maxActive = Math.max(this.maxActive, this.#active.size);
        this.requests.push(created);
        return;
      }
      case RecordType.Params:
        if (request?.onParams(record.content)) {
          onRequest(request);
          void handler(request);
        }
        return;
      case RecordType.Stdin:
        request?.onStdin(record.content);
        return;
      case RecordType.AbortRequest:
        request?.onAbort();
        return;
      case RecordType.GetValues: {
        const names = decodeParams(record.content).map(([name]) => name);
        const known = this.#values;
        this.write([
          encodeGetValuesResult(names.filter((n) => n in known).map((n) => [n, known[n]!] as const)),
        ]);
        return;
      }
    }
  }
}

export interface RawServer {
  readonly socketPath: string;
  /** Connections that carried at least one request, in the order of their first BEGIN_REQUEST. */
  readonly connections: RawConnection[];
  /** Every connection accepted, including those that only asked GET_VALUES. */
  readonly accepted: RawConnection[];
  /** Number of FCGI_GET_VALUES records received, on any connection. */
  readonly getValuesCount: number;
  readonly requests: RawRequest[];
  /** Resolves with the next request whose PARAMS are complete. */
  nextRequest(): Promise<RawRequest>;
  close(): Promise<void>;
}

/** What the test backend answers to FCGI_GET_VALUES unless told otherwise: it does not multiplex. */
export const NON_MULTIPLEXING_VALUES: Readonly<Record<string, string>> = {
  FCGI_MAX_CONNS: '4',
  FCGI_MAX_REQS: '4',
  FCGI_MPXS_CONNS: '0',
};

export interface RawServerOptions {
  /** The FCGI_GET_VALUES answer (names the client asks for that are missing here are left out). */
  values?: Readonly<Record<string, string>>;
}

/** A FastCGI backend for tests, written with @fcgi/protocol records, on a unix socket in a temp dir. */
export async function startRawServer(
  handler: RawHandler,
  options: RawServerOptions = {},
): Promise<RawServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fcgi-client-raw-'));
  const socketPath = join(dir, 'backend.sock');
  const connections: RawConnection[] = [];
  const accepted: RawConnection[] = [];
  const requests: RawRequest[] = [];
  let requestWaiters: Array<(request: RawRequest) => void> = [];
  const server: Server = createServer((socket) => {
    const connection = new RawConnection(
      socket,
      handler,
      (request) => {
        requests.push(request);
        const waiters = requestWaiters;
        requestWaiters = [];
        for (const resolve of waiters) resolve(request);
      },
      (carrier) => connections.push(carrier),
      options.values ?? NON_MULTIPLEXING_VALUES,
    );
    accepted.push(connection);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    connections,
    accepted,
    get getValuesCount() {
      return accepted.reduce(
        (count, connection) =>
          count + connection.received.filter((record) => record.type === RecordType.GetValues).length,
        0,
      );
    },
    requests,
    nextRequest: () => new Promise((resolve) => requestWaiters.push(resolve)),
    close: async () => {
      for (const connection of accepted) connection.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
