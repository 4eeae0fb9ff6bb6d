import { describe, expect, test } from 'vitest';
import { parseTarget } from '../src/index';

describe('parseTarget', () => {
  test.each([
    ['unix:/run/php/php-fpm.sock', { kind: 'unix', path: '/run/php/php-fpm.sock' }],
    ['unix:///run/app.sock', { kind: 'unix', path: '/run/app.sock' }],
    ['/run/app.sock', { kind: 'unix', path: '/run/app.sock' }],
    ['./app.sock', { kind: 'unix', path: './app.sock' }],
    ['127.0.0.1:9000', { kind: 'tcp', host: '127.0.0.1', port: 9000 }],
    ['localhost:9000', { kind: 'tcp', host: 'localhost', port: 9000 }],
    ['tcp://php:9000', { kind: 'tcp', host: 'php', port: 9000 }],
    ['tcp://127.0.0.1:9000/', { kind: 'tcp', host: '127.0.0.1', port: 9000 }],
    ['[::1]:9000', { kind: 'tcp', host: '::1', port: 9000 }],
    ['tcp://[::1]:9000', { kind: 'tcp', host: '::1', port: 9000 }],
  ])('%s is understood', (target, expected) => {
    expect(parseTarget(target)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['unix:', /no socket path/],
    ['php-fpm', /no port/],
    [':9000', /no host/],
    ['host:', /port "" is not a number/],
    ['host:http', /not a number/],
    ['host:70000', /outside 1-65535/],
    ['host:0', /outside 1-65535/],
    ['::1:9000', /brackets/],
    ['[::1]', /port must follow/],
    ['[nonsense]:9000', /not an IPv6 address/],
    ['http://127.0.0.1:9000', /only the tcp:\/\/ and unix: schemes/],
    ['bad host:9000', /is not valid/],
  ])('%j is refused with a message naming the problem and the accepted forms', (target, why) => {
    let error: unknown;
    try {
      parseTarget(target);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'FcgiClientError', code: 'INVALID_TARGET' });
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain("'unix:/path', '/path', 'host:port'");
  });
});
