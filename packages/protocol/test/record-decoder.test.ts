import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  encodeRecord,
  FCGI_HEADER_LEN,
  type FcgiRecord,
  ProtocolError,
  RecordDecoder,
  RecordType,
  writeHeader,
} from '../src/index';
import { ascii, bytewise, concat, expectProtocolError, splitAt } from './helpers';

const bytes = (...values: number[]) => Uint8Array.from(values);

function decodeAll(decoder: RecordDecoder, chunks: readonly Uint8Array[]): FcgiRecord[] {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

/** A record with arbitrary padding, as a sender that does not pad to 8 might produce. */
function wire(type: number, requestId: number, content: Uint8Array, padding: number): Uint8Array {
  const out = new Uint8Array(FCGI_HEADER_LEN + content.length + padding).fill(0xee);
  writeHeader(out, 0, type, requestId, content.length, padding);
  out.set(content, FCGI_HEADER_LEN);
  return out;
}

const plain = (records: readonly FcgiRecord[]) =>
  records.map(({ type, requestId, content }) => ({ type, requestId, content: Array.from(content) }));

const recordArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  requestId: fc.integer({ min: 0, max: 0xffff }),
  content: fc.uint8Array({ maxLength: 600 }),
  padding: fc.integer({ min: 0, max: 255 }),
});

describe('RecordDecoder on hand-made bytes', () => {
  const stdoutAbcThenEnd = bytes(
    1,
    6,
    0,
    1,
    0,
    3,
    5,
    0,
    0x61,
    0x62,
    0x63,
    0,
    0,
    0,
    0,
    0,
    1,
    6,
    0,
    1,
    0,
    0,
    0,
    0,
  );

  it('decodes a padded STDOUT record and the empty record that ends the stream', () => {
    expect(plain(new RecordDecoder().push(stdoutAbcThenEnd))).toEqual([
      { type: RecordType.Stdout, requestId: 1, content: [0x61, 0x62, 0x63] },
      { type: RecordType.Stdout, requestId: 1, content: [] },
    ]);
  });

  it('returns content as a view of the chunk when the record lies within it', () => {
    const [record] = new RecordDecoder().push(stdoutAbcThenEnd);
    expect(record!.content.buffer).toBe(stdoutAbcThenEnd.buffer);
    expect(record!.content.byteOffset).toBe(8);
  });

  it('assembles a record split across chunks once, into its own buffer', () => {
    const decoder = new RecordDecoder();
    expect(decoder.push(stdoutAbcThenEnd.subarray(0, 10))).toEqual([]);
    const [record] = decoder.push(stdoutAbcThenEnd.subarray(10));
    expect(record!.content).toEqual(ascii('abc'));
    expect(record!.content.buffer).not.toBe(stdoutAbcThenEnd.buffer);
  });

  it('decodes the management record type and request id 0', () => {
    const record = encodeRecord(RecordType.GetValues, 0, bytes(14, 0));
    expect(plain(new RecordDecoder().push(record))).toEqual([
      { type: RecordType.GetValues, requestId: 0, content: [14, 0] },
    ]);
  });

  it('reports the header bytes it holds, then the content bytes once the header is parsed', () => {
    const decoder = new RecordDecoder();
    const record = wire(RecordType.Stdin, 1, new Uint8Array(100), 4);
    decoder.push(record.subarray(0, 5));
    expect(decoder.bufferedBytes).toBe(5);
    decoder.push(record.subarray(5, 18));
    expect(decoder.bufferedBytes).toBe(10);
    decoder.push(record.subarray(18, 108));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('is idle only when no header, content or padding is pending', () => {
    const decoder = new RecordDecoder();
    const record = wire(RecordType.Stdin, 1, ascii('x'), 7);
    expect(decoder.idle).toBe(true);
    decoder.push(record.subarray(0, 3));
    expect(decoder.idle).toBe(false);
    expect(decoder.push(record.subarray(3, 10))).toHaveLength(1);
    expect(decoder.idle).toBe(false);
    decoder.push(record.subarray(10));
    expect(decoder.idle).toBe(true);
  });

  it('skips padding that arrives in a later chunk', () => {
    const decoder = new RecordDecoder();
    const both = concat([
      wire(RecordType.Stdin, 1, ascii('ab'), 200),
      wire(RecordType.Stdin, 2, ascii('cd'), 0),
    ]);
    const records = decodeAll(decoder, [both.subarray(0, 50), both.subarray(50, 150), both.subarray(150)]);
    expect(plain(records)).toEqual([
      { type: 5, requestId: 1, content: [0x61, 0x62] },
      { type: 5, requestId: 2, content: [0x63, 0x64] },
    ]);
  });

  it.each([0, 2, 255])('refuses version %i with UNSUPPORTED_VERSION', (version) => {
    const record = encodeRecord(RecordType.Stdin, 1, ascii('x'));
    record[0] = version;
    expectProtocolError(() => new RecordDecoder().push(record), 'UNSUPPORTED_VERSION');
  });

  it('keeps throwing after a protocol error, even for valid bytes', () => {
    const decoder = new RecordDecoder();
    expectProtocolError(() => decoder.push(bytes(9, 9, 9, 9, 9, 9, 9, 9)), 'UNSUPPORTED_VERSION');
    expectProtocolError(() => decoder.push(encodeRecord(RecordType.Stdin, 1)), 'UNSUPPORTED_VERSION');
  });

  it('refuses a record larger than maxBufferedBytes as soon as its header arrives', () => {
    const decoder = new RecordDecoder({ maxBufferedBytes: 100 });
    const header = wire(RecordType.Stdin, 1, new Uint8Array(93), 0).subarray(0, 8);
    expectProtocolError(() => decoder.push(header), 'RECORD_BUFFER_LIMIT');
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(100);
  });

  it('refuses an oversized record even when it arrives whole in one chunk', () => {
    const decoder = new RecordDecoder({ maxBufferedBytes: 100 });
    expectProtocolError(
      () => decoder.push(wire(RecordType.Stdin, 1, new Uint8Array(93), 0)),
      'RECORD_BUFFER_LIMIT',
    );
  });

  it('accepts a record of exactly maxBufferedBytes split across chunks', () => {
    const decoder = new RecordDecoder({ maxBufferedBytes: 100 });
    const record = wire(RecordType.Stdin, 1, new Uint8Array(92).fill(1), 255);
    expect(decodeAll(decoder, bytewise(record)).map((r) => r.content.length)).toEqual([92]);
  });

  it('by default accepts the largest record the protocol allows', () => {
    const record = wire(RecordType.Stdin, 1, new Uint8Array(65535), 255);
    const records = decodeAll(new RecordDecoder(), splitAt(record, [1, 30000]));
    expect(records.map((r) => r.content.length)).toEqual([65535]);
  });

  it('holds what arrived of a stalled partial record, not the length its header announced', () => {
    // 200 connections each announcing a 65,535-byte management record and sending 10 bytes of it.
    const partial = wire(RecordType.GetValues, 0, new Uint8Array(65_535), 0).subarray(
      0,
      FCGI_HEADER_LEN + 10,
    );
    const before = process.memoryUsage().arrayBuffers;
    const decoders = Array.from({ length: 200 }, () => new RecordDecoder());
    for (const decoder of decoders) decoder.push(partial);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(decoders.every((decoder) => decoder.bufferedBytes === 10)).toBe(true);
    expect(grown).toBeLessThan(200 * 65_535 * 0.1);
  });

  it('rejects a cap below the header size with a RangeError', () => {
    expect(() => new RecordDecoder({ maxBufferedBytes: 7 })).toThrow(RangeError);
  });
});

describe('RecordDecoder with splitStreams', () => {
  it('hands out a STDIN record that spans chunks as views of each chunk', () => {
    const record = wire(RecordType.Stdin, 1, new Uint8Array(100).fill(3), 4);
    const decoder = new RecordDecoder({ splitStreams: true });
    const pieces = decodeAll(decoder, [record.subarray(0, 30), record.subarray(30, 80), record.subarray(80)]);
    expect(pieces.map((p) => p.content.length)).toEqual([22, 50, 28]);
    expect(pieces.every((p) => p.content.buffer === record.buffer)).toBe(true);
    expect(decoder.idle).toBe(true);
  });

  it('never returns an empty piece when a chunk ends right after a header', () => {
    const record = wire(RecordType.Stdout, 1, ascii('abc'), 5);
    const pieces = decodeAll(new RecordDecoder({ splitStreams: true }), [
      record.subarray(0, 8),
      record.subarray(8),
    ]);
    expect(plain(pieces)).toEqual([{ type: RecordType.Stdout, requestId: 1, content: [0x61, 0x62, 0x63] }]);
  });

  it('holds only header bytes while stream content passes through', () => {
    const decoder = new RecordDecoder({ splitStreams: true });
    decoder.push(wire(RecordType.Stdin, 1, new Uint8Array(1000), 0).subarray(0, 500));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('still assembles a BEGIN_REQUEST that spans chunks', () => {
    const record = encodeRecord(RecordType.BeginRequest, 1, bytes(0, 1, 1, 0, 0, 0, 0, 0));
    const decoded = decodeAll(new RecordDecoder({ splitStreams: true }), bytewise(record));
    expect(plain(decoded)).toEqual([
      { type: RecordType.BeginRequest, requestId: 1, content: [0, 1, 1, 0, 0, 0, 0, 0] },
    ]);
  });

  it('exempts stream records from the buffer cap but not other records', () => {
    const decoder = new RecordDecoder({ maxBufferedBytes: 16, splitStreams: true });
    expect(decoder.push(wire(RecordType.Stdin, 1, new Uint8Array(1000), 0))).toHaveLength(1);
    expectProtocolError(
      () => decoder.push(wire(RecordType.GetValues, 0, new Uint8Array(9), 0)),
      'RECORD_BUFFER_LIMIT',
    );
  });
});

/** Joins adjacent non-empty pieces of one stream, so split and whole deliveries compare equal. */
function joinStreams(records: ReadonlyArray<{ type: number; requestId: number; content: number[] }>) {
  const joined: Array<{ type: number; requestId: number; content: number[] }> = [];
  for (const record of records) {
    const last = joined.at(-1);
    const continues =
      last !== undefined &&
      last.type === record.type &&
      last.requestId === record.requestId &&
      last.content.length > 0 &&
      record.content.length > 0 &&
      record.type >= RecordType.Params &&
      record.type <= RecordType.Data;
    if (continues) last.content = [...last.content, ...record.content];
    else joined.push({ ...record, content: [...record.content] });
  }
  return joined;
}

describe('RecordDecoder properties', () => {
  test.prop([fc.array(recordArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 })])(
    'with splitStreams, yields the same streams and whole other records, copying no stream byte',
    (records, cuts) => {
      const stream = concat(records.map((r) => wire(r.type, r.requestId, r.content, r.padding)));
      const expected = records.map(({ type, requestId, content }) => ({
        type,
        requestId,
        content: Array.from(content),
      }));
      const decoded = decodeAll(new RecordDecoder({ splitStreams: true }), splitAt(stream, cuts));
      expect(joinStreams(plain(decoded))).toEqual(joinStreams(expected));
      for (const record of decoded) {
        if (record.type >= RecordType.Params && record.type <= RecordType.Data && record.content.length > 0) {
          expect(record.content.buffer).toBe(stream.buffer);
        }
      }
    },
  );

  test.prop([fc.array(recordArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 })])(
    'decodes the same records however the byte stream is chunked',
    (records, cuts) => {
      const stream = concat(records.map((r) => wire(r.type, r.requestId, r.content, r.padding)));
      const expected = records.map(({ type, requestId, content }) => ({
        type,
        requestId,
        content: Array.from(content),
      }));
      const decoder = new RecordDecoder();
      expect(plain(decodeAll(decoder, splitAt(stream, cuts)))).toEqual(expected);
      expect(decoder.idle).toBe(true);
      expect(decoder.bufferedBytes).toBe(0);
    },
  );

  test.prop([fc.array(recordArb, { maxLength: 4 })], { numRuns: 50 })(
    'decodes the same records when fed one byte at a time',
    (records) => {
      const stream = concat(records.map((r) => wire(r.type, r.requestId, r.content, r.padding)));
      const expected = records.map(({ type, requestId, content }) => ({
        type,
        requestId,
        content: Array.from(content),
      }));
      expect(plain(decodeAll(new RecordDecoder(), bytewise(stream)))).toEqual(expected);
    },
  );

  // Garbage that is often shaped like records, so decoding gets past the first header.
  const chunkArb = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    recordArb.map((r) => wire(r.type, r.requestId, r.content, r.padding)),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((header) => {
      header[0] = 1;
      return header;
    }),
  );

  test.prop([fc.array(chunkArb, { maxLength: 20 }), fc.integer({ min: 8, max: 70_000 })])(
    'turns arbitrary bytes into records or a ProtocolError, never buffering past its cap',
    (chunks, maxBufferedBytes) => {
      const decoder = new RecordDecoder({ maxBufferedBytes });
      let failed = false;
      for (const chunk of chunks) {
        try {
          for (const record of decoder.push(chunk)) {
            expect(record.content.length).toBeLessThanOrEqual(maxBufferedBytes - FCGI_HEADER_LEN);
          }
          expect(failed).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          failed = true;
        }
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes);
      }
    },
  );
});
