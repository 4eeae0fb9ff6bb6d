import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  decodeParams,
  encodeParams,
  encodeParamsRecords,
  encodeRawParams,
  ParamsDecoder,
  ProtocolError,
  RecordDecoder,
  RecordType,
} from '../src/index';
import { ascii, bytewise, concat, expectProtocolError, splitAt } from './helpers';

const bytes = (...values: number[]) => Uint8Array.from(values);

function decodeChunked(
  chunks: readonly Uint8Array[],
  options?: ConstructorParameters<typeof ParamsDecoder>[0],
) {
  const decoder = new ParamsDecoder(options);
  for (const chunk of chunks) decoder.push(chunk);
  return decoder.end();
}

describe('encodeParams vectors', () => {
  it('writes one-byte lengths before a short name and value', () => {
    expect(encodeParams([['HTTPS', 'on']])).toEqual(concat([bytes(5, 2), ascii('HTTPSon')]));
  });

  it('writes an empty value as length 0', () => {
    expect(encodeParams({ QUERY_STRING: '' })).toEqual(concat([bytes(12, 0), ascii('QUERY_STRING')]));
  });

  it('keeps a 127-byte name in one length byte', () => {
    expect(encodeParams([['N'.repeat(127), 'v']]).subarray(0, 2)).toEqual(bytes(127, 1));
  });

  it('switches a 128-byte name to four length bytes with the top bit set', () => {
    const encoded = encodeParams([['N'.repeat(128), 'v']]);
    expect(encoded.subarray(0, 5)).toEqual(bytes(0x80, 0, 0, 128, 1));
    expect(encoded.length).toBe(5 + 128 + 1);
  });

  it('keeps a 127-byte value in one length byte', () => {
    expect(encodeParams([['n', 'v'.repeat(127)]]).subarray(0, 2)).toEqual(bytes(1, 127));
  });

  it('switches a 128-byte value to four length bytes with the top bit set', () => {
    expect(encodeParams([['n', 'v'.repeat(128)]]).subarray(0, 5)).toEqual(bytes(1, 0x80, 0, 0, 128));
  });

  it('writes the length of a 65536-byte value as 80 01 00 00', () => {
    const encoded = encodeParams([['BIG', 'x'.repeat(65536)]]);
    expect(encoded.subarray(0, 5)).toEqual(bytes(3, 0x80, 0x01, 0x00, 0x00));
    expect(decodeParams(encoded)).toEqual([['BIG', 'x'.repeat(65536)]]);
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(encodeParams([['é', '😀']])).toEqual(bytes(2, 4, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80));
  });

  it('encodes a lone surrogate as U+FFFD, three bytes', () => {
    expect(encodeParams([['a', '\ud800']])).toEqual(bytes(1, 3, 0x61, 0xef, 0xbf, 0xbd));
  });

  it('writes byte values of raw params unchanged, next to UTF-8 text', () => {
    expect(
      encodeRawParams([
        ['HTTP_X', bytes(0xe9, 0xff)],
        [bytes(0x41), 'é'],
      ]),
    ).toEqual(concat([bytes(6, 2), ascii('HTTP_X'), bytes(0xe9, 0xff), bytes(1, 2, 0x41, 0xc3, 0xa9)]));
  });

  it('reads raw byte values back byte-for-byte with latin1', () => {
    const value = new Uint8Array(300).map((_, i) => i & 0xff);
    const [[, decoded]] = decodeParams(encodeRawParams([['V', value]]), { encoding: 'latin1' }) as [
      [string, string],
    ];
    expect(Array.from(decoded, (c) => c.charCodeAt(0))).toEqual(Array.from(value));
  });

  it('wraps params in PARAMS records and ends them with the empty record', () => {
    const records = new RecordDecoder().push(concat(encodeParamsRecords(3, { A: 'b' })));
    expect(records.map((r) => [r.type, r.requestId, r.content.length])).toEqual([
      [RecordType.Params, 3, 4],
      [RecordType.Params, 3, 0],
    ]);
  });

  it('splits params larger than one record across several PARAMS records', () => {
    const pairs: Array<[string, string]> = [['BIG', 'y'.repeat(100_000)]];
    const records = new RecordDecoder().push(concat(encodeParamsRecords(1, pairs)));
    expect(records.map((r) => r.content.length)).toEqual([65535, 100_000 + 5 + 3 - 65535, 0]);
    expect(decodeChunked(records.map((r) => r.content))).toEqual(pairs);
  });

  it('refuses PARAMS for management request id 0', () => {
    expect(() => encodeParamsRecords(0, { A: 'b' })).toThrow(RangeError);
  });
});

describe('decodeParams vectors', () => {
  it('decodes one-byte lengths', () => {
    expect(decodeParams(concat([bytes(5, 2), ascii('HTTPSon'), bytes(1, 0), ascii('X')]))).toEqual([
      ['HTTPS', 'on'],
      ['X', ''],
    ]);
  });

  it('decodes a four-byte length even when one byte would have done', () => {
    expect(decodeParams(concat([bytes(0x80, 0, 0, 1, 0x80, 0, 0, 2), ascii('Abc')]))).toEqual([['A', 'bc']]);
  });

  it('ignores the top bit of a four-byte length as a flag, not a sign', () => {
    // 0xFFFFFFFF is a 2^31-1 byte name: far more than is present, so truncated, not negative.
    expectProtocolError(() => decodeParams(bytes(0xff, 0xff, 0xff, 0xff, 0, 0x61)), 'MALFORMED_PARAMS');
  });

  it('decodes names and values as UTF-8 by default', () => {
    expect(decodeParams(bytes(2, 4, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80))).toEqual([['é', '😀']]);
  });

  it('replaces invalid UTF-8 with U+FFFD instead of throwing', () => {
    expect(decodeParams(bytes(1, 2, 0x41, 0xff, 0xc3))).toEqual([['A', '\ufffd\ufffd']]);
  });

  it('decodes byte-for-byte with the latin1 encoding', () => {
    expect(decodeParams(bytes(1, 3, 0x41, 0xe9, 0x80, 0xff), { encoding: 'latin1' })).toEqual([
      ['A', '\u00e9\u0080\u00ff'],
    ]);
  });

  it('decodes a latin1 value longer than one fromCharCode chunk', () => {
    const value = new Uint8Array(20_000).map((_, i) => 0x80 + (i % 128));
    const encoded = concat([bytes(1, 0x80, 0, 0x4e, 0x20, 0x56), value]);
    const [[, decoded]] = decodeParams(encoded, { encoding: 'latin1' }) as [[string, string]];
    expect(decoded.length).toBe(20_000);
    expect(decoded.charCodeAt(19_999)).toBe(0x80 + (19_999 % 128));
  });

  it('reads the same short bytes as UTF-8 and as latin1 differently, however often they repeat', () => {
    const encoded = bytes(1, 2, 0x41, 0xc3, 0xa9);
    for (let round = 0; round < 3; round++) {
      expect(decodeParams(encoded, { encoding: 'latin1' })).toEqual([['A', '\u00c3\u00a9']]);
      expect(decodeParams(encoded)).toEqual([['A', '\u00e9']]);
    }
  });

  it('decodes many distinct short strings correctly when they compete for cache slots', () => {
    const pairs = Array.from({ length: 5000 }, (_, i): [string, string] => [
      `N${i}`,
      `value-${(i * 7919) % 5003}`,
    ]);
    const encoded = encodeParams(pairs);
    expect(decodeParams(encoded)).toEqual(pairs);
    expect(decodeParams(encoded, { encoding: 'latin1' })).toEqual(pairs);
  });

  it.each([
    ['inside the length bytes', bytes(0x80, 0, 0)],
    ['between the two lengths', bytes(1)],
    ['inside the name', bytes(3, 1, 0x41)],
    ['inside the value', bytes(1, 3, 0x41, 0x42)],
  ])('refuses a stream that ends %s with MALFORMED_PARAMS', (_where, input) => {
    expectProtocolError(() => decodeParams(input), 'MALFORMED_PARAMS');
  });

  it('decodes an empty stream as no pairs', () => {
    expect(decodeParams(new Uint8Array(0))).toEqual([]);
  });
});

describe('params limits', () => {
  const three = encodeParams([
    ['A', '1'],
    ['B', '2'],
    ['C', '3'],
  ]);

  it('accepts exactly maxPairs pairs', () => {
    expect(decodeParams(three, { maxPairs: 3 })).toHaveLength(3);
  });

  it('refuses one pair more than maxPairs with TOO_MANY_PARAMS', () => {
    expectProtocolError(() => decodeParams(three, { maxPairs: 2 }), 'TOO_MANY_PARAMS');
  });

  it('accepts exactly maxBytes bytes', () => {
    expect(decodeParams(three, { maxBytes: three.length })).toHaveLength(3);
  });

  it('refuses one byte more than maxBytes with PARAMS_TOO_LARGE', () => {
    expectProtocolError(() => decodeParams(three, { maxBytes: three.length - 1 }), 'PARAMS_TOO_LARGE');
  });

  it('stops the incremental decoder at the first byte of the pair past maxPairs', () => {
    const decoder = new ParamsDecoder({ maxPairs: 2 });
    decoder.push(three.subarray(0, 8));
    expect(decoder.pairCount).toBe(2);
    expectProtocolError(() => decoder.push(three.subarray(8, 9)), 'TOO_MANY_PARAMS');
  });

  it('refuses a declared length that alone exceeds maxBytes as soon as the lengths arrive', () => {
    const decoder = new ParamsDecoder({ maxBytes: 65536 });
    // Name of 1 byte, value declared as 1 MiB: only the 5 length bytes have arrived.
    expectProtocolError(() => decoder.push(bytes(1, 0x80, 0x10, 0, 0)), 'PARAMS_TOO_LARGE');
  });

  it('refuses such a declared length even when its length bytes are split across chunks', () => {
    const decoder = new ParamsDecoder({ maxBytes: 65536 });
    decoder.push(bytes(1, 0x80));
    decoder.push(bytes(0x10));
    expectProtocolError(() => decoder.push(bytes(0, 0)), 'PARAMS_TOO_LARGE');
  });

  it('refuses a chunk that would cross maxBytes before keeping any of it', () => {
    const decoder = new ParamsDecoder({ maxBytes: 10 });
    decoder.push(three.subarray(0, 4));
    expectProtocolError(() => decoder.push(three.subarray(4)), 'PARAMS_TOO_LARGE');
    expect(decoder.byteLength).toBe(4);
    expect(decoder.pairCount).toBe(1);
  });

  it('keeps throwing after a limit was crossed', () => {
    const decoder = new ParamsDecoder({ maxPairs: 0 });
    expectProtocolError(() => decoder.push(three), 'TOO_MANY_PARAMS');
    expectProtocolError(() => decoder.push(new Uint8Array(0)), 'TOO_MANY_PARAMS');
    expectProtocolError(() => decoder.end(), 'TOO_MANY_PARAMS');
  });
});

describe('ParamsDecoder', () => {
  it('counts the bytes and complete pairs it has received', () => {
    const decoder = new ParamsDecoder();
    const encoded = encodeParams([
      ['NAME', 'value'],
      ['OTHER', 'x'],
    ]);
    decoder.push(encoded.subarray(0, 13));
    expect([decoder.byteLength, decoder.pairCount]).toEqual([13, 1]);
  });

  it('refuses a stream that ends inside a pair with MALFORMED_PARAMS', () => {
    const decoder = new ParamsDecoder();
    decoder.push(bytes(4, 4, 0x41));
    expectProtocolError(() => decoder.end(), 'MALFORMED_PARAMS');
  });

  it('decodes a pair whose lengths and bytes arrive one byte at a time', () => {
    const pairs: Array<[string, string]> = [['N'.repeat(300), 'é'.repeat(200)]];
    expect(decodeChunked(bytewise(encodeParams(pairs)))).toEqual(pairs);
  });

  it('decodes latin1 across chunks', () => {
    expect(decodeChunked([bytes(1, 2, 0x41, 0xe9), bytes(0xff)], { encoding: 'latin1' })).toEqual([
      ['A', '\u00e9\u00ff'],
    ]);
  });

  it('accepts the lengths of a 2 GiB pair without allocating for it up front', () => {
    const decoder = new ParamsDecoder();
    decoder.push(bytes(0xff, 0xff, 0xff, 0xff, 1, 0x41));
    expect(decoder.byteLength).toBe(6);
    expectProtocolError(() => decoder.end(), 'MALFORMED_PARAMS');
  });

  it('assembles a 200 KB value that arrives in 1000-byte pieces', () => {
    const pairs: Array<[string, string]> = [
      ['BIG', 'z'.repeat(200_000)],
      ['AFTER', 'x'],
    ];
    const encoded = encodeParams(pairs);
    const pieces = Array.from({ length: Math.ceil(encoded.length / 1000) }, (_, i) =>
      encoded.subarray(i * 1000, (i + 1) * 1000),
    );
    expect(decodeChunked(pieces)).toEqual(pairs);
  });

  it('rejects an unknown encoding with a RangeError', () => {
    expect(() => new ParamsDecoder({ encoding: 'utf-16' as 'utf-8' })).toThrow(RangeError);
  });
});

// Any Unicode text, short or (by repetition) tens of kilobytes long.
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 12_000 }))
      .map(([unit, times]) => unit.repeat(times)),
  },
);
const pairsArb = fc.array(fc.tuple(text, text), { maxLength: 12 });

describe('params properties', () => {
  test.prop([pairsArb], { numRuns: 60 })('round-trips arbitrary Unicode names and values', (pairs) => {
    expect(decodeParams(encodeParams(pairs))).toEqual(pairs);
  });

  test.prop([pairsArb, fc.array(fc.nat(), { maxLength: 25 })], { numRuns: 60 })(
    'decodes the same pairs from the incremental decoder however the bytes are chunked',
    (pairs, cuts) => {
      const encoded = encodeParams(pairs);
      expect(decodeChunked(splitAt(encoded, cuts))).toEqual(decodeParams(encoded));
    },
  );

  test.prop([fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 6 })])(
    'decodes the same pairs when every byte is its own chunk',
    (pairs) => {
      const encoded = encodeParams(pairs);
      expect(decodeChunked(bytewise(encoded))).toEqual(pairs);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 400 }), fc.constantFrom<'utf-8' | 'latin1'>('utf-8', 'latin1')])(
    'decodes garbage to pairs or a ProtocolError, never anything else',
    (garbage, encoding) => {
      try {
        const pairs = decodeParams(garbage, { encoding });
        expect(Array.isArray(pairs)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
    },
  );

  test.prop([
    fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }),
    fc.integer({ min: 0, max: 600 }),
    fc.integer({ min: 0, max: 40 }),
  ])(
    'gives the incremental decoder garbage: pairs or a ProtocolError, never past maxBytes',
    (chunks, maxBytes, maxPairs) => {
      const decoder = new ParamsDecoder({ maxBytes, maxPairs });
      try {
        for (const chunk of chunks) {
          decoder.push(chunk);
          expect(decoder.byteLength).toBeLessThanOrEqual(maxBytes);
          expect(decoder.pairCount).toBeLessThanOrEqual(maxPairs);
        }
        decoder.end();
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
    },
  );

  test.prop([fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 10 })])(
    'agrees with decodeParams on garbage, chunked arbitrarily',
    (garbage, cuts) => {
      const outcome = (decode: () => unknown) => {
        try {
          return decode();
        } catch (error) {
          return (error as ProtocolError).code;
        }
      };
      expect(outcome(() => decodeChunked(splitAt(garbage, cuts)))).toEqual(
        outcome(() => decodeParams(garbage)),
      );
    },
  );
});
