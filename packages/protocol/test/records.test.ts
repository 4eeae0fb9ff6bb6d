import { describe, expect, it } from 'vitest';
import {
  decodeBeginRequestBody,
  decodeEndRequestBody,
  decodeUnknownTypeBody,
  encodeBeginRequest,
  encodeBeginRequestBody,
  encodeEndRequest,
  encodeEndRequestBody,
  encodeGetValues,
  encodeGetValuesResult,
  encodeHeader,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  encodeUnknownTypeBody,
  FCGI_MAX_CONNS,
  FCGI_MAX_CONTENT_LEN,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  KEEP_CONN,
  ProtocolStatus,
  RecordType,
  Role,
  writeHeader,
} from '../src/index';
import { ascii, concat, expectProtocolError } from './helpers';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('record header', () => {
  it('is version, type, big-endian requestId and contentLength, paddingLength, reserved', () => {
    expect(encodeHeader(RecordType.Stdout, 0x1234, 0x0102, 6)).toEqual(
      bytes(1, 6, 0x12, 0x34, 0x01, 0x02, 6, 0),
    );
  });

  it('defaults paddingLength to 0', () => {
    expect(encodeHeader(RecordType.Stdin, 1, 0)).toEqual(bytes(1, 5, 0, 1, 0, 0, 0, 0));
  });

  it('is written in place at an offset without touching neighbouring bytes', () => {
    const target = new Uint8Array(12).fill(0xaa);
    writeHeader(target, 2, RecordType.Params, 0xffff, 0xffff, 255);
    expect(target).toEqual(bytes(0xaa, 0xaa, 1, 4, 0xff, 0xff, 0xff, 0xff, 255, 0, 0xaa, 0xaa));
  });

  it.each([
    ['a content length above 65535', () => encodeHeader(6, 1, 65536)],
    ['a padding length above 255', () => encodeHeader(6, 1, 0, 256)],
    ['a request id above 65535', () => encodeHeader(6, 65536, 0)],
    ['a negative request id', () => encodeHeader(6, -1, 0)],
    ['a type above 255', () => encodeHeader(256, 1, 0)],
    ['a header that does not fit the target', () => writeHeader(new Uint8Array(10), 3, 6, 1, 0)],
  ])('refuses %s with a RangeError', (_name, action) => {
    expect(action).toThrow(RangeError);
  });
});

describe('encodeRecord', () => {
  it('pads 3 content bytes with 5 zero bytes to reach 16', () => {
    expect(encodeRecord(RecordType.Stdout, 1, ascii('abc'))).toEqual(
      bytes(1, 6, 0, 1, 0, 3, 5, 0, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0),
    );
  });

  it('adds no padding to content that is already a multiple of 8', () => {
    const record = encodeRecord(RecordType.Stdout, 1, new Uint8Array(8).fill(7));
    expect(record.length).toBe(16);
    expect(record[6]).toBe(0);
  });

  it('encodes a record without content as a bare header', () => {
    expect(encodeRecord(RecordType.AbortRequest, 3)).toEqual(bytes(1, 2, 0, 3, 0, 0, 0, 0));
  });

  it('accepts exactly 65535 content bytes and pads them with 1 byte', () => {
    const record = encodeRecord(RecordType.Stdout, 1, new Uint8Array(FCGI_MAX_CONTENT_LEN));
    expect(record.subarray(0, 8)).toEqual(bytes(1, 6, 0, 1, 0xff, 0xff, 1, 0));
    expect(record.length).toBe(8 + 65535 + 1);
  });

  it('refuses content above 65535 bytes with a RangeError', () => {
    expect(() => encodeRecord(RecordType.Stdout, 1, new Uint8Array(65536))).toThrow(RangeError);
  });
});

describe('encodeStreamRecords', () => {
  it('splits 131071 bytes into 65535 + 65535 + 1 with a header before each piece', () => {
    const data = new Uint8Array(65535 * 2 + 1).map((_, i) => i & 0xff);
    const parts = encodeStreamRecords(RecordType.Stdout, 7, data);
    expect(parts).toHaveLength(6);
    expect(parts[0]).toEqual(bytes(1, 6, 0, 7, 0xff, 0xff, 0, 0));
    expect(parts[2]).toEqual(bytes(1, 6, 0, 7, 0xff, 0xff, 0, 0));
    expect(parts[4]).toEqual(bytes(1, 6, 0, 7, 0, 1, 0, 0));
    expect(concat([parts[1]!, parts[3]!, parts[5]!])).toEqual(data);
  });

  it('hands out views of the data instead of copies', () => {
    const data = new Uint8Array(100_000);
    const parts = encodeStreamRecords(RecordType.Stdout, 1, data);
    expect(parts[1]!.buffer).toBe(data.buffer);
    expect(parts[3]!.buffer).toBe(data.buffer);
    expect(parts[3]!.byteOffset).toBe(65535);
  });

  it('appends the empty end-of-stream record when asked', () => {
    const parts = encodeStreamRecords(RecordType.Stdin, 2, ascii('hi'), { end: true });
    expect(parts).toEqual([bytes(1, 5, 0, 2, 0, 2, 0, 0), ascii('hi'), bytes(1, 5, 0, 2, 0, 0, 0, 0)]);
  });

  it('turns empty data with end into the end record alone', () => {
    expect(encodeStreamRecords(RecordType.Stdout, 1, new Uint8Array(0), { end: true })).toEqual([
      bytes(1, 6, 0, 1, 0, 0, 0, 0),
    ]);
  });

  it('turns empty data without end into nothing', () => {
    expect(encodeStreamRecords(RecordType.Stdout, 1, new Uint8Array(0))).toEqual([]);
  });

  it('gives every call its own headers, so written output is never rewritten', () => {
    const first = encodeStreamRecords(RecordType.Stdout, 1, ascii('a'));
    encodeStreamRecords(RecordType.Stdout, 2, ascii('bb'));
    expect(first[0]).toEqual(bytes(1, 6, 0, 1, 0, 1, 0, 0));
  });

  it('encodes the stream end as a fresh empty record', () => {
    const end = encodeStreamEnd(RecordType.Stderr, 9);
    expect(end).toEqual(bytes(1, 7, 0, 9, 0, 0, 0, 0));
    expect(encodeStreamEnd(RecordType.Stderr, 9)).not.toBe(end);
  });
});

describe('BEGIN_REQUEST', () => {
  it('encodes {FCGI_BEGIN_REQUEST, 1, {FCGI_RESPONDER, 0}} from the specification example', () => {
    expect(encodeBeginRequest(1, Role.Responder, 0)).toEqual(
      bytes(1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    );
  });

  it('carries the role as a big-endian u16 and KEEP_CONN in bit 0 of flags', () => {
    expect(encodeBeginRequestBody(Role.Filter, KEEP_CONN)).toEqual(bytes(0, 3, 1, 0, 0, 0, 0, 0));
  });

  it('decodes role, flags and keepConn', () => {
    expect(decodeBeginRequestBody(bytes(0, 2, 1, 0, 0, 0, 0, 0))).toEqual({
      role: Role.Authorizer,
      flags: 1,
      keepConn: true,
    });
  });

  it('decodes a role it does not know so the caller can answer UNKNOWN_ROLE', () => {
    expect(decodeBeginRequestBody(bytes(0x12, 0x34, 0xfe, 0, 0, 0, 0, 0))).toEqual({
      role: 0x1234,
      flags: 0xfe,
      keepConn: false,
    });
  });

  it('refuses a body shorter than 8 bytes with MALFORMED_RECORD', () => {
    expectProtocolError(() => decodeBeginRequestBody(bytes(0, 1, 0)), 'MALFORMED_RECORD');
  });
});

describe('END_REQUEST', () => {
  it('encodes appStatus as a big-endian u32 followed by protocolStatus', () => {
    expect(encodeEndRequest(1, 0x01020304, ProtocolStatus.Overloaded)).toEqual(
      bytes(1, 3, 0, 1, 0, 8, 0, 0, 1, 2, 3, 4, 2, 0, 0, 0),
    );
  });

  it('wraps appStatus -1 to 0xFFFFFFFF', () => {
    expect(encodeEndRequestBody(-1, ProtocolStatus.RequestComplete)).toEqual(
      bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0),
    );
  });

  it('decodes appStatus unsigned', () => {
    expect(decodeEndRequestBody(bytes(0xff, 0xff, 0xff, 0xfe, 3, 0, 0, 0))).toEqual({
      appStatus: 0xfffffffe,
      protocolStatus: ProtocolStatus.UnknownRole,
    });
  });

  it('returns a fresh record on every call', () => {
    const first = encodeEndRequest(1, 0, ProtocolStatus.RequestComplete);
    const second = encodeEndRequest(1, 0, ProtocolStatus.RequestComplete);
    second[8] = 9;
    expect(first[8]).toBe(0);
  });

  it('refuses a body shorter than 8 bytes with MALFORMED_RECORD', () => {
    expectProtocolError(() => decodeEndRequestBody(bytes(0, 0, 0, 0, 0)), 'MALFORMED_RECORD');
  });
});

describe('UNKNOWN_TYPE', () => {
  it('carries the unknown type in the first of 8 body bytes', () => {
    expect(encodeUnknownTypeBody(200)).toEqual(bytes(200, 0, 0, 0, 0, 0, 0, 0));
    expect(decodeUnknownTypeBody(bytes(200, 0, 0, 0, 0, 0, 0, 0))).toEqual({ type: 200 });
  });

  it('refuses a body shorter than 8 bytes with MALFORMED_RECORD', () => {
    expectProtocolError(() => decodeUnknownTypeBody(bytes(1)), 'MALFORMED_RECORD');
  });
});

describe('GET_VALUES', () => {
  it('asks for the three standard variables with empty values in a management record', () => {
    const record = encodeGetValues([FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS]);
    // 2 + 14, 2 + 13 and 2 + 15 bytes: 48, already a multiple of 8.
    expect(record.subarray(0, 8)).toEqual(bytes(1, 9, 0, 0, 0, 48, 0, 0));
    expect(record.subarray(8)).toEqual(
      concat([
        bytes(14, 0),
        ascii('FCGI_MAX_CONNS'),
        bytes(13, 0),
        ascii('FCGI_MAX_REQS'),
        bytes(15, 0),
        ascii('FCGI_MPXS_CONNS'),
      ]),
    );
  });

  it('answers with a padded GET_VALUES_RESULT record', () => {
    expect(encodeGetValuesResult({ FCGI_MPXS_CONNS: '0' })).toEqual(
      concat([bytes(1, 10, 0, 0, 0, 18, 6, 0, 15, 1), ascii('FCGI_MPXS_CONNS0'), new Uint8Array(6)]),
    );
  });

  it('accepts the result values as a list of pairs', () => {
    expect(encodeGetValuesResult([['FCGI_MAX_REQS', '10']])).toEqual(
      concat([bytes(1, 10, 0, 0, 0, 17, 7, 0, 13, 2), ascii('FCGI_MAX_REQS10'), new Uint8Array(7)]),
    );
  });
});
