import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  encodeResponseHead,
  formatResponseHead,
  ProtocolError,
  parseResponseHead,
  ResponseHeadParser,
} from '../src/index';
import { ascii, concat, expectProtocolError, splitAt } from './helpers';

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('formatResponseHead', () => {
  it('writes each header in order, then Status last, then the blank line', () => {
    expect(formatResponseHead(301, [['Location', '/new']])).toBe(
      'Location: /new\r\nStatus: 301 Moved Permanently\r\n\r\n',
    );
  });

  it('writes every Set-Cookie of a Headers object on its own line', () => {
    const headers = new Headers([
      ['Set-Cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2, with comma'],
      ['Content-Type', 'text/html'],
    ]);
    expect(formatResponseHead(200, headers)).toBe(
      'content-type: text/html\r\nset-cookie: a=1; Path=/\r\nset-cookie: b=2, with comma\r\nStatus: 200 OK\r\n\r\n',
    );
  });

  it('writes repeated names of a header list on separate lines', () => {
    expect(
      formatResponseHead(200, [
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ]),
    ).toBe('Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nStatus: 200 OK\r\n\r\n');
  });

  it('accepts a Map as a header list', () => {
    expect(formatResponseHead(204, new Map([['X-A', '1']]))).toBe('X-A: 1\r\nStatus: 204 No Content\r\n\r\n');
  });

  it('uses the given status text', () => {
    expect(formatResponseHead(200, [], 'Fine')).toBe('Status: 200 Fine\r\n\r\n');
  });

  it('omits the reason for a code without a standard one', () => {
    expect(formatResponseHead(299, [])).toBe('Status: 299\r\n\r\n');
  });

  it('drops a Status entry among the headers so only one Status line is written', () => {
    expect(formatResponseHead(404, [['status', '200 OK']])).toBe('Status: 404 Not Found\r\n\r\n');
  });

  it('keeps latin1 characters as single bytes', () => {
    expect(encodeResponseHead(200, [['X-Name', 'caf\u00e9']])).toEqual(
      latin1('X-Name: caf\u00e9\r\nStatus: 200 OK\r\n\r\n'),
    );
  });

  it.each([
    ['CR in a value', [['X-A', 'a\rb']]],
    ['LF in a value', [['X-A', 'a\nSet-Cookie: evil']]],
    ['NUL in a value', [['X-A', 'a\0b']]],
    ['LF in a name', [['X-A\nB', 'v']]],
    ['a space in a name', [['Bad Name', 'v']]],
    ['an empty name', [['', 'v']]],
    ['a character above U+00FF', [['X-A', '\u20ac']]],
  ] as Array<[string, Array<[string, string]>]>)('refuses %s with INVALID_HEADER', (_what, headers) => {
    expectProtocolError(() => formatResponseHead(200, headers), 'INVALID_HEADER');
  });

  it('refuses a status text containing CRLF with INVALID_HEADER', () => {
    expectProtocolError(() => formatResponseHead(200, [], 'OK\r\nX-Evil: 1'), 'INVALID_HEADER');
  });

  it.each([99, 1000, 200.5, Number.NaN])('refuses status %s with a RangeError', (status) => {
    expect(() => formatResponseHead(status, [])).toThrow(RangeError);
  });
});

describe('parseResponseHead', () => {
  it('parses the headers, the Status and where the body starts', () => {
    const bytes = ascii('Content-Type: text/plain\r\nStatus: 404 Not Found\r\n\r\nbody');
    expect(parseResponseHead(bytes)).toEqual({
      head: { status: 404, statusText: 'Not Found', headers: [['Content-Type', 'text/plain']] },
      bodyOffset: bytes.length - 4,
    });
  });

  it('accepts bare LF line ends', () => {
    const bytes = ascii('Status: 201 Created\nX-A: 1\n\nbody');
    expect(parseResponseHead(bytes)).toEqual({
      head: { status: 201, statusText: 'Created', headers: [['X-A', '1']] },
      bodyOffset: bytes.length - 4,
    });
  });

  it('defaults to 200 OK when no Status is sent', () => {
    expect(parseResponseHead(ascii('X-A: 1\r\n\r\n'))?.head).toEqual({
      status: 200,
      statusText: 'OK',
      headers: [['X-A', '1']],
    });
  });

  it('treats a Location without Status as a 302 redirect', () => {
    expect(parseResponseHead(ascii('Location: https://example.com/\r\n\r\n'))?.head).toEqual({
      status: 302,
      statusText: 'Found',
      headers: [['Location', 'https://example.com/']],
    });
  });

  it('lets an explicit Status win over the Location default', () => {
    expect(parseResponseHead(ascii('Location: /x\r\nStatus: 301\r\n\r\n'))?.head.status).toBe(301);
  });

  it('fills in the standard reason for a Status without one', () => {
    expect(parseResponseHead(ascii('Status: 503\r\n\r\n'))?.head.statusText).toBe('Service Unavailable');
  });

  it('keeps a custom reason phrase', () => {
    expect(parseResponseHead(ascii('Status: 200 All Good\r\n\r\n'))?.head.statusText).toBe('All Good');
  });

  it('trims spaces and tabs around a value and keeps repeated headers apart', () => {
    expect(parseResponseHead(ascii('Set-Cookie:  a=1 \t\r\nSet-Cookie:b=2\r\n\r\n'))?.head.headers).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
  });

  it('decodes header bytes above 0x7F byte-for-byte', () => {
    expect(parseResponseHead(latin1('X-Name: caf\u00e9\r\n\r\n'))?.head.headers).toEqual([
      ['X-Name', 'caf\u00e9'],
    ]);
  });

  it('parses a head with no header lines at all', () => {
    expect(parseResponseHead(ascii('\r\nbody'))).toEqual({
      head: { status: 200, statusText: 'OK', headers: [] },
      bodyOffset: 2,
    });
  });

  it('returns null while the blank line has not arrived', () => {
    expect(parseResponseHead(ascii('Status: 200 OK\r\nX-A: 1\r\n'))).toBeNull();
  });

  it.each([
    ['a line without a colon', 'garbage\r\n\r\n'],
    ['a line with an empty name', ': v\r\n\r\n'],
    ['a name with a space', 'Bad Name: v\r\n\r\n'],
    ['a folded continuation line', 'X-A: 1\r\n continued\r\n\r\n'],
    ['a non-numeric Status', 'Status: abc\r\n\r\n'],
    ['a two-digit Status', 'Status: 20 OK\r\n\r\n'],
    ['a Status below 100', 'Status: 099 Odd\r\n\r\n'],
    ['a NUL in a value', 'X-A: a\0b\r\n\r\n'],
    ['a bare CR in a value', 'X-A: a\rb\r\n\r\n'],
  ])('refuses %s with MALFORMED_RESPONSE_HEAD', (_what, text) => {
    expectProtocolError(() => parseResponseHead(ascii(text)), 'MALFORMED_RESPONSE_HEAD');
  });

  it('accepts a head of exactly maxHeadBytes', () => {
    const head = ascii('X-A: 12345\r\n\r\n');
    expect(parseResponseHead(head, { maxHeadBytes: head.length })?.bodyOffset).toBe(head.length);
  });

  it('refuses a head one byte longer than maxHeadBytes with RESPONSE_HEAD_TOO_LARGE', () => {
    const head = ascii('X-A: 12345\r\n\r\n');
    expectProtocolError(
      () => parseResponseHead(head, { maxHeadBytes: head.length - 1 }),
      'RESPONSE_HEAD_TOO_LARGE',
    );
  });

  it('refuses bytes past maxHeadBytes without a blank line even though the head is incomplete', () => {
    expectProtocolError(() => parseResponseHead(new Uint8Array(65537).fill(0x41)), 'RESPONSE_HEAD_TOO_LARGE');
  });
});

describe('ResponseHeadParser', () => {
  it('returns the body that followed the head in the same chunk as a view', () => {
    const chunk = ascii('Status: 200 OK\r\n\r\nhello');
    const result = new ResponseHeadParser().push(chunk);
    expect(result?.body).toEqual(ascii('hello'));
    expect(result?.body.buffer).toBe(chunk.buffer);
  });

  it('finds a CRLF blank line split between chunks', () => {
    const parser = new ResponseHeadParser();
    expect(parser.push(ascii('X-A: 1\r\n\r'))).toBeNull();
    expect(parser.push(ascii('\nrest'))).toEqual({
      head: { status: 200, statusText: 'OK', headers: [['X-A', '1']] },
      body: ascii('rest'),
    });
  });

  it('hands every later chunk through as body', () => {
    const parser = new ResponseHeadParser();
    const first = parser.push(ascii('\n'));
    expect(parser.push(ascii('more'))).toEqual({ head: first?.head, body: ascii('more') });
  });

  it('assembles long lines that arrive one byte at a time', () => {
    const text = `X-Long: ${'v'.repeat(5000)}\r\nX-B: 2\r\n\r\nbody`;
    const parser = new ResponseHeadParser();
    let result: ReturnType<ResponseHeadParser['push']> = null;
    for (let i = 0; i < text.length && !result; i++) result = parser.push(ascii(text[i]!));
    expect(result?.head.headers).toEqual([
      ['X-Long', 'v'.repeat(5000)],
      ['X-B', '2'],
    ]);
  });

  it('refuses a head growing past maxHeadBytes across chunks', () => {
    const parser = new ResponseHeadParser({ maxHeadBytes: 20 });
    expect(parser.push(ascii('X-A: 0123456789'))).toBeNull();
    expectProtocolError(() => parser.push(ascii('0123456789\r\n\r\n')), 'RESPONSE_HEAD_TOO_LARGE');
    expectProtocolError(() => parser.push(ascii('\r\n')), 'RESPONSE_HEAD_TOO_LARGE');
  });
});

const token = fc
  .stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/)
  .filter((n) => n.toLowerCase() !== 'status');
const fieldValue = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 })
  .map((v) => v.trim());
const headerList = fc.array(fc.tuple(token, fieldValue), { maxLength: 10 });

describe('response head properties', () => {
  test.prop([fc.integer({ min: 100, max: 999 }), headerList])(
    'parses back the status and headers it formatted',
    (status, headers) => {
      const parsed = parseResponseHead(encodeResponseHead(status, headers));
      expect(parsed?.head.status).toBe(status);
      expect(parsed?.head.headers).toEqual(headers);
    },
  );

  test.prop([
    fc.integer({ min: 100, max: 999 }),
    headerList,
    fc.uint8Array({ maxLength: 50 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.boolean(),
  ])(
    'parses incrementally across any split exactly as in one piece',
    (status, headers, body, cuts, bareLf) => {
      let head = formatResponseHead(status, headers);
      if (bareLf) head = head.replaceAll('\r\n', '\n');
      const whole = concat([latin1(head), body]);
      const expected = parseResponseHead(whole);
      const parser = new ResponseHeadParser();
      let result: ReturnType<ResponseHeadParser['push']> = null;
      const bodyParts: Uint8Array[] = [];
      for (const piece of splitAt(whole, cuts)) {
        if (result) {
          bodyParts.push(piece);
          continue;
        }
        result = parser.push(piece);
        if (result) bodyParts.push(result.body);
      }
      expect(result?.head).toEqual(expected?.head);
      expect(concat(bodyParts)).toEqual(body);
    },
  );

  test.prop([
    fc.uint8Array({ maxLength: 300 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    fc.integer({ min: 1, max: 200 }),
  ])(
    'meets garbage with a head, null or a ProtocolError, the same way whole or chunked',
    (garbage, cuts, maxHeadBytes) => {
      const outcome = (parse: () => unknown) => {
        try {
          return parse();
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          return (error as ProtocolError).code;
        }
      };
      const whole = outcome(() => parseResponseHead(garbage, { maxHeadBytes })?.head ?? null);
      const chunked = outcome(() => {
        const parser = new ResponseHeadParser({ maxHeadBytes });
        for (const piece of splitAt(garbage, cuts)) {
          const result = parser.push(piece);
          if (result) return result.head;
        }
        return null;
      });
      expect(chunked).toEqual(whole);
    },
  );
});
