/** The matrix's columns: each web server, the transport to the app, and what that server can do. */

import { startApache2 } from './servers/apache2';
import { startCaddy } from './servers/caddy';
import { startCgiFcgi } from './servers/cgi-fcgi';
import { startHaproxy, startHaproxyMpxs } from './servers/haproxy';
import { startLighttpd } from './servers/lighttpd';
import { startNginx } from './servers/nginx';
import type { Column } from './servers/types';

const NGINX_HALF_DUPLEX = 'nginx is half-duplex: it stops reading the response while sending the body';
const HAPROXY_CHUNKED =
  'haproxy must send CONTENT_LENGTH: a chunked body larger than tune.bufsize is answered 400';
const NOT_CONFIGURED = 'only the haproxy-mpxs config asks for multiplexing';
const CADDY_HALF_DUPLEX = 'caddy is half-duplex: it stops reading the response while sending the body';

export const columns: Column[] = [
  {
    name: 'nginx (unix)',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startNginx,
    bigTransfers: true,
    halfDuplex: NGINX_HALF_DUPLEX,
    keepsBackendConnections: true,
  },
  {
    name: 'nginx (tcp)',
    transport: 'tcp',
    noMultiplexing: NOT_CONFIGURED,
    start: startNginx,
    bigTransfers: false,
    halfDuplex: NGINX_HALF_DUPLEX,
    keepsBackendConnections: true,
  },
  {
    name: 'caddy',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startCaddy,
    bigTransfers: true,
    halfDuplex: CADDY_HALF_DUPLEX,
  },
  {
    name: 'apache2',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startApache2,
    bigTransfers: true,
    dropsContentLength: 'apache2 drops the app Content-Length and answers chunked',
  },
  {
    name: 'lighttpd',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startLighttpd,
    bigTransfers: true,
  },
  {
    name: 'haproxy (unix)',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startHaproxy,
    bigTransfers: true,
    keepsBackendConnections: true,
    rejectsChunkedUploads: HAPROXY_CHUNKED,
  },
  {
    name: 'haproxy (tcp)',
    transport: 'tcp',
    noMultiplexing: NOT_CONFIGURED,
    start: startHaproxy,
    bigTransfers: false,
    keepsBackendConnections: true,
    rejectsChunkedUploads: HAPROXY_CHUNKED,
  },
  {
    name: 'haproxy-mpxs',
    transport: 'unix',
    start: startHaproxyMpxs,
    bigTransfers: false,
    keepsBackendConnections: true,
    rejectsChunkedUploads: HAPROXY_CHUNKED,
  },
  {
    name: 'cgi-fcgi',
    transport: 'unix',
    noMultiplexing: NOT_CONFIGURED,
    start: startCgiFcgi,
    bigTransfers: true,
    rawCgi: true,
    rejectsChunkedUploads: 'cgi-fcgi reads stdin only up to CONTENT_LENGTH',
  },
];

/** INTEROP_COLUMNS="nginx (unix),caddy" runs only those columns (for debugging one server). */
export function selectedColumns(filter = process.env.INTEROP_COLUMNS): Column[] {
  if (!filter) return columns;
  const wanted = new Set(filter.split(',').map((name) => name.trim()));
  return columns.filter((column) => wanted.has(column.name));
}
