import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors';
import { normalizeTarget } from '../src/target';

describe('normalizeTarget', () => {
  it('keeps an absolute unix: target', () => {
    expect(normalizeTarget('unix:/run/php/php-fpm.sock', '/srv')).toBe('unix:/run/php/php-fpm.sock');
  });

  it('resolves relative socket paths against the working directory', () => {
    expect(normalizeTarget('./app.sock', '/srv/app')).toBe('unix:/srv/app/app.sock');
    expect(normalizeTarget('unix:run/app.sock', '/srv')).toBe('unix:/srv/run/app.sock');
    expect(normalizeTarget('app.sock', '/srv')).toBe('unix:/srv/app.sock');
  });

  it('treats an absolute path as a unix socket', () => {
    expect(normalizeTarget('/run/app.sock', '/')).toBe('unix:/run/app.sock');
  });

  it('accepts host:port, tcp://host:port and bracketed IPv6', () => {
    expect(normalizeTarget('127.0.0.1:9000', '/')).toBe('127.0.0.1:9000');
    expect(normalizeTarget('tcp://localhost:9000', '/')).toBe('localhost:9000');
    expect(normalizeTarget('[::1]:9000', '/')).toBe('[::1]:9000');
  });

  it('reads a bare port as 127.0.0.1', () => {
    expect(normalizeTarget('9000', '/')).toBe('127.0.0.1:9000');
  });

  it('rejects a target it cannot connect to with the accepted forms in the message', () => {
    expect(() => normalizeTarget('http://localhost:9000', '/')).toThrow(UsageError);
    expect(() => normalizeTarget('localhost', '/')).toThrow(/host:port/);
    expect(() => normalizeTarget('localhost:99999', '/')).toThrow(/port must be 1-65535/);
    expect(() => normalizeTarget('unix:', '/')).toThrow(/no socket path/);
  });
});
