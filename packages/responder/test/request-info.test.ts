// The handler's second argument, built from the connection's record of one request.
import { describe, expect, test } from 'vitest';
import { createInfo, type InfoSource } from '../src/request-info';

function source(params: Record<string, string>, signal = new AbortController().signal): InfoSource {
  return { params: new Map(Object.entries(params)), requestId: 3, role: 'responder', keepConn: true, signal };
}

describe('RequestInfo', () => {
  test('carries the client address and port, the request id, role and keep_conn', () => {
    const info = createInfo(source({ REMOTE_ADDR: '192.0.2.7', REMOTE_PORT: '51234' }));
    expect([info.remoteAddress, info.remotePort, info.requestId, info.role, info.keepConn]).toEqual([
      '192.0.2.7',
      51234,
      3,
      'responder',
      true,
    ]);
  });

  test('an empty address and a port that is not an integer read as undefined', () => {
    const info = createInfo(source({ REMOTE_ADDR: '', REMOTE_PORT: '12.5' }));
    expect([info.remoteAddress, info.remotePort]).toEqual([undefined, undefined]);
    expect(createInfo(source({})).remotePort).toBeUndefined();
  });

  test('params is one frozen record of the CGI params, the same object on every read', () => {
    const info = createInfo(source({ REQUEST_METHOD: 'GET', HTTP_HOST: 'example.test' }));
    const params = info.params;
    expect(params).toEqual({ REQUEST_METHOD: 'GET', HTTP_HOST: 'example.test' });
    expect(Object.isFrozen(params)).toBe(true);
    expect(info.params).toBe(params);
  });

  test("signal is the request's own abort signal", () => {
    const controller = new AbortController();
    const info = createInfo(source({}, controller.signal));
    controller.abort(new Error('gone'));
    expect(info.signal.aborted).toBe(true);
    expect(info.signal).toBe(controller.signal);
  });
});
