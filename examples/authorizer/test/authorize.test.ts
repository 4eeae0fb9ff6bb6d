import { connect, type Socket } from 'node:net';
import {
  decodeEndRequestBody,
  encodeBeginRequest,
  encodeParamsRecords,
  ProtocolStatus,
  parseResponseHead,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { type ServeResult, serve } from '@fcgi/responder';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthorizer, parseTokenTable } from '../src/authorize';

interface Answer {
  protocolStatus: number;
  status: number;
  /** Response header names, lower-cased (names are case-insensitive; web servers match them so). */
  headers: Map<string, string>;
  body: string;
}

let server: ServeResult;
let port: number;

beforeAll(async () => {
  server = await serve(createAuthorizer(parseTokenTable('good:alice')), {
    port: 0,
    host: '127.0.0.1',
    roles: ['authorizer', 'responder'],
  });
  const address = server.address;
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  port = address.port;
});

afterAll(async () => {
  await server?.close();
});

/** Sends one request in `role` with `params`, as a web server would, and collects the answer. */
function ask(role: number, params: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const decoder = new RecordDecoder();
    const stdout: Uint8Array[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      for (const record of decoder.push(chunk)) {
        if (record.type === RecordType.Stdout) stdout.push(record.content.slice());
        if (record.type !== RecordType.EndRequest) continue;
        socket.destroy();
        const output = Buffer.concat(stdout);
        const parsed = parseResponseHead(output);
        resolve({
          protocolStatus: decodeEndRequestBody(record.content).protocolStatus,
          status: parsed?.head.status ?? 0,
          headers: new Map((parsed?.head.headers ?? []).map(([name, value]) => [name.toLowerCase(), value])),
          body: parsed ? output.subarray(parsed.bodyOffset).toString() : '',
        });
      }
    });
    socket.write(encodeBeginRequest(1, role, 0));
    for (const record of encodeParamsRecords(1, params)) socket.write(record);
  });
}

const REQUEST = { REQUEST_METHOD: 'GET', REQUEST_URI: '/docs/', HTTP_HOST: 'localhost' };

describe('parseTokenTable', () => {
  test('reads comma-separated token:user entries', () => {
    expect([...parseTokenTable('good:alice, other:bob')]).toEqual([
      ['good', 'alice'],
      ['other', 'bob'],
    ]);
  });

  test('rejects an entry without a user', () => {
    expect(() => parseTokenTable('good')).toThrow(/"good" is not "token:user"/);
  });
});

describe('the authorizer', () => {
  test('authorizes a known bearer token and passes the user as Variable-AUTHZ_USER', async () => {
    const answer = await ask(Role.Authorizer, { ...REQUEST, HTTP_AUTHORIZATION: 'Bearer good' });
    expect(answer.protocolStatus).toBe(ProtocolStatus.RequestComplete);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('variable-authz_user')).toBe('alice');
  });

  test('denies a request without a token with 401 and a reason', async () => {
    const answer = await ask(Role.Authorizer, REQUEST);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="docs"');
    expect(answer.body).toBe('missing bearer token\n');
  });

  test('denies an unknown token', async () => {
    const answer = await ask(Role.Authorizer, { ...REQUEST, HTTP_AUTHORIZATION: 'Bearer nope' });
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('unknown bearer token\n');
  });

  test('answers 500 when a web server sends it requests in the Responder role', async () => {
    const answer = await ask(Role.Responder, { ...REQUEST, HTTP_AUTHORIZATION: 'Bearer good' });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatch(/configure the web server to use it as one/);
  });
});
