// Roles other than Responder are opt-in: an app that a web server is misconfigured to use as an
// Authorizer must not authorize every request it answers with 200.
import { ProtocolStatus, Role } from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { serve } from '../src/index';
import { fcgiRequest, params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const ok = () => new Response('ok');

describe('the roles option', () => {
  test('by default an Authorizer request is refused with FCGI_UNKNOWN_ROLE and the handler is not called', async () => {
    let called = false;
    const { path } = await servers.start(() => {
      called = true;
      return ok();
    });
    const result = await fcgiRequest(path, { role: Role.Authorizer, params: params('GET', '/private') });
    expect(result.protocolStatus).toBe(ProtocolStatus.UnknownRole);
    expect(result.stdout.length).toBe(0);
    expect(called).toBe(false);
  });

  test('an app that lists authorizer in roles serves Authorizer requests', async () => {
    const { path } = await servers.start((_request, info) => new Response(info.role), {
      roles: ['responder', 'authorizer'],
    });
    const result = await fcgiRequest(path, { role: Role.Authorizer, params: params('GET', '/private') });
    expect(result.protocolStatus).toBe(ProtocolStatus.RequestComplete);
    expect(result.body.toString()).toBe('authorizer');
  });

  test('an app that is only an Authorizer refuses Responder requests with FCGI_UNKNOWN_ROLE', async () => {
    const { path } = await servers.start(ok, { roles: ['authorizer'] });
    const result = await fcgiRequest(path, { role: Role.Responder, params: params('GET', '/') });
    expect(result.protocolStatus).toBe(ProtocolStatus.UnknownRole);
  });

  test('the connection stays usable after a refused role when the web server keeps it', async () => {
    const { path } = await servers.start(ok);
    const client = await servers.connect(path);
    client.begin({ id: 1, role: Role.Authorizer, keepConn: true, params: params('GET', '/') });
    expect((await client.response(1)).protocolStatus).toBe(ProtocolStatus.UnknownRole);
    client.begin({ id: 2, keepConn: true, params: params('GET', '/') });
    expect((await client.response(2)).body.toString()).toBe('ok');
  });

  test('roles that name the Filter role, or nothing, fail serve() with a RangeError', async () => {
    await expect(serve(ok, { port: 0, roles: ['responder', 'filter'] })).rejects.toThrow(RangeError);
    await expect(serve(ok, { port: 0, roles: [] })).rejects.toThrow(RangeError);
  });
});
