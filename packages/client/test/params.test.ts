import { decodeParams, encodeRawParams } from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { buildParams, type ParamsBuildOptions } from '../src/params-builder';

/** The params as the backend decodes them: header bytes byte for byte, as node:http does. */
function paramsFor(request: Request, options: Partial<ParamsBuildOptions> = {}): Record<string, string> {
  const params = buildParams(request, new URL(request.url), { contentLength: undefined, ...options });
  return Object.fromEntries(decodeParams(encodeRawParams(params), { encoding: 'latin1' }));
}

describe('CGI params built from a Request', () => {
  test('a GET carries the request line, server and gateway variables', () => {
    const params = paramsFor(new Request('http://example.com/app/page?x=1&y=2'));
    expect(params).toMatchObject({
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'fcgi-client',
      SERVER_NAME: 'example.com',
      SERVER_PORT: '80',
      REQUEST_SCHEME: 'http',
      REQUEST_METHOD: 'GET',
      REQUEST_URI: '/app/page?x=1&y=2',
      SCRIPT_NAME: '/app/page',
      PATH_INFO: '',
      QUERY_STRING: 'x=1&y=2',
      REMOTE_ADDR: '127.0.0.1',
      HTTP_HOST: 'example.com',
    });
    expect(params.HTTPS).toBeUndefined();
    expect(params.CONTENT_LENGTH).toBeUndefined();
    expect(params.CONTENT_TYPE).toBeUndefined();
  });

  test('an https URL sets HTTPS=on and port 443', () => {
    const params = paramsFor(new Request('https://example.com/'));
    expect(params.HTTPS).toBe('on');
    expect(params.REQUEST_SCHEME).toBe('https');
    expect(params.SERVER_PORT).toBe('443');
  });

  test('an IPv6 host gives SERVER_NAME without brackets and HTTP_HOST with them', () => {
    const params = paramsFor(new Request('http://[::1]:8080/'));
    expect(params.SERVER_NAME).toBe('::1');
    expect(params.SERVER_PORT).toBe('8080');
    expect(params.HTTP_HOST).toBe('[::1]:8080');
  });

  test('SCRIPT_NAME is the decoded path; REQUEST_URI keeps it encoded', () => {
    const params = paramsFor(new Request('http://example.com/caf%C3%A9/a%20b.php'));
    expect(params.REQUEST_URI).toBe('/caf%C3%A9/a%20b.php');
    expect(Buffer.from(params.SCRIPT_NAME!, 'latin1').toString('utf8')).toBe('/caf\u00e9/a b.php');
  });

  test('every header becomes HTTP_*, except Content-Type and Content-Length', () => {
    const request = new Request('http://example.com/', {
      method: 'POST',
      headers: { 'X-Forwarded-For': '10.0.0.1', Accept: 'text/html', 'Content-Type': 'text/plain' },
      body: 'abc',
    });
    const params = paramsFor(request, { contentLength: 3 });
    expect(params.HTTP_X_FORWARDED_FOR).toBe('10.0.0.1');
    expect(params.HTTP_ACCEPT).toBe('text/html');
    expect(params.CONTENT_TYPE).toBe('text/plain');
    expect(params.CONTENT_LENGTH).toBe('3');
    expect(params.HTTP_CONTENT_TYPE).toBeUndefined();
    expect(params.HTTP_CONTENT_LENGTH).toBeUndefined();
  });

  test('a Proxy header never becomes HTTP_PROXY (httpoxy)', () => {
    const params = paramsFor(new Request('http://example.com/', { headers: { Proxy: 'http://evil:8080' } }));
    expect(params.HTTP_PROXY).toBeUndefined();
  });

  test('a header with an underscore is dropped so it cannot pose as a dashed one', () => {
    const params = paramsFor(
      new Request('http://example.com/', { headers: { X_Real_IP: '6.6.6.6', 'X-Real-IP': '10.0.0.1' } }),
    );
    expect(params.HTTP_X_REAL_IP).toBe('10.0.0.1');
  });

  test('a Host header wins over the URL host', () => {
    const params = paramsFor(new Request('http://127.0.0.1:8080/', { headers: { Host: 'site.example' } }));
    expect(params.HTTP_HOST).toBe('site.example');
  });

  test('header bytes above 0x7F reach the backend unchanged', () => {
    // "café" in UTF-8, as a ByteString: one char per byte, as node:http hands header values over.
    const utf8AsLatin1 = Buffer.from('caf\u00e9', 'utf8').toString('latin1');
    const params = paramsFor(new Request('http://example.com/', { headers: { 'X-Name': utf8AsLatin1 } }));
    expect(Buffer.from(params.HTTP_X_NAME!, 'latin1').toString('utf8')).toBe('caf\u00e9');
  });

  test('DOCUMENT_ROOT gives SCRIPT_FILENAME as root + path, like nginx', () => {
    const params = paramsFor(new Request('http://example.com/index.php?a'), { documentRoot: '/srv/www/' });
    expect(params.DOCUMENT_ROOT).toBe('/srv/www/');
    expect(params.SCRIPT_FILENAME).toBe('/srv/www/index.php');
  });

  test('scriptFilename as a string or a function of the URL sets SCRIPT_FILENAME', () => {
    const request = new Request('http://example.com/any/route');
    expect(paramsFor(request, { scriptFilename: '/srv/app.php', documentRoot: '/srv' }).SCRIPT_FILENAME).toBe(
      '/srv/app.php',
    );
    expect(
      paramsFor(request, { scriptFilename: (url) => `/srv/front.php${url.pathname}` }).SCRIPT_FILENAME,
    ).toBe('/srv/front.php/any/route');
  });

  test('remote address and port come from the options', () => {
    const params = paramsFor(new Request('http://example.com/'), {
      remoteAddress: '203.0.113.9',
      remotePort: 51000,
    });
    expect(params.REMOTE_ADDR).toBe('203.0.113.9');
    expect(params.REMOTE_PORT).toBe('51000');
  });

  test('client params, then request params, override and add to the built ones', () => {
    const params = paramsFor(new Request('http://example.com/x'), {
      overrides: [
        { SERVER_NAME: 'client.example', APP_ENV: 'prod' },
        { APP_ENV: 'staging', PATH_INFO: '/x' },
      ],
    });
    expect(params.SERVER_NAME).toBe('client.example');
    expect(params.APP_ENV).toBe('staging');
    expect(params.PATH_INFO).toBe('/x');
  });
});

describe('name/value pair encoding', () => {
  test('long names and values use the four-byte length form and round-trip', () => {
    const long = 'v'.repeat(70_000);
    const encoded = encodeRawParams([
      ['SHORT', 'x'],
      ['N'.repeat(200), long],
    ]);
    expect(decodeParams(encoded)).toEqual([
      ['SHORT', 'x'],
      ['N'.repeat(200), long],
    ]);
  });

  test('string values are UTF-8 and byte values are sent as they are', () => {
    const encoded = encodeRawParams([
      ['TEXT', '\u00e9'],
      ['RAW', new Uint8Array([0xe9])],
    ]);
    expect(decodeParams(encoded, { encoding: 'latin1' })).toEqual([
      ['TEXT', '\u00c3\u00a9'],
      ['RAW', '\u00e9'],
    ]);
  });
});
