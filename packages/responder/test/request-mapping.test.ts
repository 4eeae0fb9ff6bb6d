// CGI params → Request parts, as the README's "The handler" states them: what nginx, apache, lighttpd, haproxy
// and caddy actually send.
import { describe, expect, test } from 'vitest';
import {
  requestHeaders as headersFromParams,
  paramsMap,
  paramsRecord,
  requestUrl as urlFromParams,
} from '../src/request-mapping';

// The mapping reads a Map of params; these take the record form the tests are easier to read in.
const requestUrl = (params: Record<string, string>) => urlFromParams(new Map(Object.entries(params)));
const requestHeaders = (params: Record<string, string>) => headersFromParams(new Map(Object.entries(params)));

describe('the URL', () => {
  test('is http:// + HTTP_HOST + REQUEST_URI', () => {
    expect(
      requestUrl({
        HTTP_HOST: '127.0.0.1:8080',
        REQUEST_URI: '/echo-request?a=1&b=two&b=three',
        SERVER_NAME: 'x',
      }),
    ).toBe('http://127.0.0.1:8080/echo-request?a=1&b=two&b=three');
  });

  test.each(['on', 'ON', '1'])('HTTPS=%s makes it https', (value) => {
    expect(requestUrl({ HTTPS: value, HTTP_HOST: 'example.com', REQUEST_URI: '/' })).toBe(
      'https://example.com/',
    );
  });

  test('HTTPS=off stays http', () => {
    expect(requestUrl({ HTTPS: 'off', HTTP_HOST: 'example.com', REQUEST_URI: '/' })).toBe(
      'http://example.com/',
    );
  });

  test('without HTTP_HOST the host is SERVER_NAME:SERVER_PORT', () => {
    expect(requestUrl({ SERVER_NAME: 'example.com', SERVER_PORT: '8443', REQUEST_URI: '/x' })).toBe(
      'http://example.com:8443/x',
    );
  });

  test('a default SERVER_PORT is omitted', () => {
    expect(requestUrl({ SERVER_NAME: 'example.com', SERVER_PORT: '80', REQUEST_URI: '/' })).toBe(
      'http://example.com/',
    );
    expect(
      requestUrl({ HTTPS: 'on', SERVER_NAME: 'example.com', SERVER_PORT: '443', REQUEST_URI: '/' }),
    ).toBe('https://example.com/');
  });

  test('an IPv6 SERVER_NAME is bracketed', () => {
    expect(requestUrl({ SERVER_NAME: '::1', SERVER_PORT: '8080', REQUEST_URI: '/' })).toBe(
      'http://[::1]:8080/',
    );
  });

  test('a HTTP_HOST that is not a host (path, spaces) falls back to SERVER_NAME', () => {
    expect(requestUrl({ HTTP_HOST: 'evil.com/x y', SERVER_NAME: 'real.example', REQUEST_URI: '/a' })).toBe(
      'http://real.example/a',
    );
  });

  test('with no host at all the URL still parses (localhost)', () => {
    expect(requestUrl({ REQUEST_URI: '/only' })).toBe('http://localhost/only');
  });

  test('REQUEST_URI stays percent-encoded as the client sent it', () => {
    expect(requestUrl({ HTTP_HOST: 'h', REQUEST_URI: '/a%20b/c?x=%C3%BC' })).toBe(
      'http://h/a%20b/c?x=%C3%BC',
    );
  });

  test('raw non-ASCII bytes in REQUEST_URI are percent-encoded byte for byte (UTF-8 survives)', () => {
    const raw = Buffer.from('/caf\u00e9?q=\u00fc', 'utf8').toString('latin1');
    const url = requestUrl({ HTTP_HOST: 'h', REQUEST_URI: raw });
    expect(url).toBe('http://h/caf%C3%A9?q=%C3%BC');
    expect(decodeURIComponent(new URL(url).pathname)).toBe('/caf\u00e9');
  });

  test('spaces, quotes and a stray # in REQUEST_URI are encoded, not cut', () => {
    expect(requestUrl({ HTTP_HOST: 'h', REQUEST_URI: '/a b"c#d' })).toBe('http://h/a%20b%22c%23d');
  });

  test('dot segments and upper-case hosts are normalized like new URL() does', () => {
    expect(requestUrl({ HTTP_HOST: 'Example.COM:80', REQUEST_URI: '/a/../b/./c' })).toBe(
      'http://example.com/b/c',
    );
  });

  test('without REQUEST_URI: SCRIPT_NAME + PATH_INFO (re-encoded) + ?QUERY_STRING', () => {
    expect(
      requestUrl({
        HTTP_HOST: 'h',
        SCRIPT_NAME: '',
        PATH_INFO: '/a b/caf\u00e9%',
        QUERY_STRING: 'x=1&y=%20',
      }),
    ).toBe('http://h/a%20b/caf%E9%25?x=1&y=%20');
    expect(requestUrl({ HTTP_HOST: 'h', SCRIPT_NAME: '/app', PATH_INFO: '/x' })).toBe('http://h/app/x');
  });

  test('without any path the URL is the root', () => {
    expect(requestUrl({ HTTP_HOST: 'h' })).toBe('http://h/');
  });

  test('the result always parses with new URL()', () => {
    for (const uri of ['/%', '/\\x', '//double', '/?', '/\u0000\u007f\u00ff', '*', 'no-slash']) {
      expect(() => new URL(requestUrl({ HTTP_HOST: 'h', REQUEST_URI: uri }))).not.toThrow();
    }
  });
});

describe('the headers', () => {
  test('come from HTTP_* with _ turned into -', () => {
    const headers = requestHeaders({ HTTP_X_FORWARDED_FOR: '1.2.3.4', HTTP_ACCEPT: '*/*', SERVER_NAME: 'x' });
    expect([...headers]).toEqual([
      ['accept', '*/*'],
      ['x-forwarded-for', '1.2.3.4'],
    ]);
  });

  test('Content-Type and Content-Length come from CONTENT_* and are never doubled by HTTP_CONTENT_*', () => {
    const headers = requestHeaders({
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '5',
      HTTP_CONTENT_TYPE: 'text/plain',
      HTTP_CONTENT_LENGTH: '5',
    });
    expect(headers.get('content-type')).toBe('text/plain');
    expect(headers.get('content-length')).toBe('5');
  });

  test('an empty CONTENT_TYPE (nginx on GET) adds no header', () => {
    expect(requestHeaders({ CONTENT_TYPE: '', CONTENT_LENGTH: '' }).has('content-type')).toBe(false);
  });

  test('CONTENT_LENGTH=-1 (unknown, caddy chunked) adds no Content-Length', () => {
    expect(requestHeaders({ CONTENT_LENGTH: '-1' }).has('content-length')).toBe(false);
  });

  test('HTTP_PROXY is just the Proxy request header', () => {
    expect(requestHeaders({ HTTP_PROXY: 'http://evil' }).get('proxy')).toBe('http://evil');
  });

  test('values with bytes above 0x7F are kept byte for byte (latin1) and never throw', () => {
    const raw = Buffer.from('caf\u00e9 \u{1F389}', 'utf8').toString('latin1');
    const headers = requestHeaders({ HTTP_X_NAME: raw });
    expect(Buffer.from(headers.get('x-name')!, 'latin1').toString('utf8')).toBe('caf\u00e9 \u{1F389}');
  });

  test('a param that is not a valid header is skipped instead of throwing', () => {
    const headers = requestHeaders({ 'HTTP_BAD{NAME}': 'x', HTTP_X_NUL: 'a\u0000b', HTTP_OK: 'fine' });
    expect([...headers]).toEqual([['ok', 'fine']]);
  });
});

describe('params', () => {
  test('a request header sent twice (nginx 1.22, haproxy) has its values joined with ", " in order', () => {
    const params = paramsMap([
      ['HTTP_X_DUP', 'a'],
      ['HTTP_X_DUP', 'b'],
      ['REQUEST_METHOD', 'GET'],
    ]);
    expect(paramsRecord(params)).toEqual({ HTTP_X_DUP: 'a, b', REQUEST_METHOD: 'GET' });
    expect(headersFromParams(params).get('x-dup')).toBe('a, b');
  });

  test('a CGI variable sent twice takes the last value (REQUEST_URI after include fastcgi_params)', () => {
    const params = paramsMap([
      ['REQUEST_URI', '/hello'],
      ['QUERY_STRING', ''],
      ['SCRIPT_NAME', '/index.php'],
      ['HTTP_HOST', 'example.test'],
      ['REQUEST_URI', '/hello'],
      ['QUERY_STRING', 'a=1'],
      ['SCRIPT_NAME', '/hello'],
    ]);
    expect(paramsRecord(params)).toMatchObject({
      REQUEST_URI: '/hello',
      QUERY_STRING: 'a=1',
      SCRIPT_NAME: '/hello',
    });
    expect(urlFromParams(params)).toBe('http://example.test/hello');
  });
});
