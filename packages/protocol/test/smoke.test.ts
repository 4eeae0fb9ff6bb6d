import { describe, expect, it } from 'vitest';
import {
  decodeBeginRequestBody,
  decodeParams,
  encodeBeginRequest,
  encodeParams,
  encodeParamsRecords,
  encodeRecord,
  encodeResponseHead,
  encodeStreamRecords,
  ParamsDecoder,
  parseResponseHead,
  RecordDecoder,
  RecordType,
  Role,
} from '../src/index';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('a whole request round-trips through the codec', () => {
  it('decodes BEGIN_REQUEST, PARAMS and STDIN records that an encoder produced', () => {
    const stdin = new TextEncoder().encode('hello');
    const bytes = concat([
      encodeBeginRequest(1, Role.Responder, 1),
      ...encodeParamsRecords(1, { REQUEST_METHOD: 'POST', 'NAME-é': 'välue' }),
      ...encodeStreamRecords(RecordType.Stdin, 1, stdin, { end: true }),
    ]);
    const decoder = new RecordDecoder();
    const records = [...decoder.push(bytes.subarray(0, 13)), ...decoder.push(bytes.subarray(13))];
    expect(records.map((r) => r.type)).toEqual([1, 4, 4, 5, 5]);
    expect(decodeBeginRequestBody(records[0]!.content)).toEqual({ role: 1, flags: 1, keepConn: true });
    expect(decodeParams(records[1]!.content)).toEqual([
      ['REQUEST_METHOD', 'POST'],
      ['NAME-é', 'välue'],
    ]);
    expect(records[3]!.content).toEqual(stdin);
    expect(decoder.idle).toBe(true);
  });

  it('pads a single record to a multiple of 8', () => {
    expect(encodeRecord(RecordType.Stdout, 1, new Uint8Array(3)).length).toBe(16);
  });

  it('decodes params pushed one byte at a time', () => {
    const bytes = encodeParams([['A'.repeat(200), 'b']]);
    const decoder = new ParamsDecoder();
    for (const byte of bytes) decoder.push(Uint8Array.of(byte));
    expect(decoder.end()).toEqual([['A'.repeat(200), 'b']]);
  });

  it('parses the response head it formats', () => {
    const bytes = encodeResponseHead(404, [['Content-Type', 'text/plain']]);
    expect(parseResponseHead(bytes)).toEqual({
      head: { status: 404, statusText: 'Not Found', headers: [['Content-Type', 'text/plain']] },
      bodyOffset: bytes.length,
    });
  });
});
