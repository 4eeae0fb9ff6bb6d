// Codec benchmark: @fcgi/protocol against fastcgi-stream on the same bytes. A script, not a test.
//   node --expose-gc bench/codec.bench.mjs            (after `pnpm build`)
//   BENCH_ROUNDS=9 BENCH_QUICK=1 to trade precision for time.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import {
  decodeBeginRequestBody,
  encodeBeginRequest,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  KEEP_CONN,
  ParamsDecoder,
  RecordDecoder,
  RecordType,
  Role,
  writeHeader,
} from '../dist/index.js';

const require = createRequire(import.meta.url);
const { FastCGIStream } = require('fastcgi-stream');

// fastcgi-stream allocates with the deprecated `new Buffer()`; its warning is noise here.
process.noDeprecation = true;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const QUICK = process.env.BENCH_QUICK === '1';
const REQUEST_ROUND_MS = QUICK ? 300 : 1000;
const STREAM_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
// nginx sends a request body as STDIN records of at most 32 KiB (ngx_http_fastcgi_body_output_filter).
const NGINX_STDIN_RECORD = 32 * 1024;

const gc = globalThis.gc ?? (() => {});
let sink = 0;

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------------
// Input (1): what nginx sends for one POST with a typical browser header set.

const NGINX_PARAMS = [
  ['QUERY_STRING', 'page=2&sort=desc&filter=active'],
  ['REQUEST_METHOD', 'POST'],
  ['CONTENT_TYPE', 'application/json'],
  ['CONTENT_LENGTH', '1024'],
  ['SCRIPT_NAME', '/api/v1/orders'],
  ['REQUEST_URI', '/api/v1/orders?page=2&sort=desc&filter=active'],
  ['DOCUMENT_URI', '/api/v1/orders'],
  ['DOCUMENT_ROOT', '/srv/www/app/public'],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['REQUEST_SCHEME', 'https'],
  ['HTTPS', 'on'],
  ['GATEWAY_INTERFACE', 'CGI/1.1'],
  ['SERVER_SOFTWARE', 'nginx/1.22.1'],
  ['REMOTE_ADDR', '203.0.113.42'],
  ['REMOTE_PORT', '51234'],
  ['SERVER_ADDR', '10.0.0.5'],
  ['SERVER_PORT', '443'],
  ['SERVER_NAME', 'shop.example.com'],
  ['REDIRECT_STATUS', '200'],
  ['SCRIPT_FILENAME', '/srv/www/app/public/api/v1/orders'],
  ['PATH_INFO', ''],
  ['HTTP_HOST', 'shop.example.com'],
  [
    'HTTP_USER_AGENT',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  ],
  ['HTTP_ACCEPT', 'application/json, text/plain, */*'],
  ['HTTP_ACCEPT_LANGUAGE', 'en-GB,en;q=0.9,de;q=0.8'],
  ['HTTP_ACCEPT_ENCODING', 'gzip, deflate, br, zstd'],
  ['HTTP_REFERER', 'https://shop.example.com/orders?page=1'],
  [
    'HTTP_COOKIE',
    'session=5f2b9c1e8a7d4e3f9b0c1d2e3f4a5b6c; theme=dark; consent=analytics%3Dno%26ads%3Dno; _ga=GA1.2.1234567890.1700000000',
  ],
  ['HTTP_CONNECTION', 'keep-alive'],
  ['HTTP_CONTENT_TYPE', 'application/json'],
  ['HTTP_CONTENT_LENGTH', '1024'],
  ['HTTP_ORIGIN', 'https://shop.example.com'],
  ['HTTP_SEC_FETCH_DEST', 'empty'],
  ['HTTP_SEC_FETCH_MODE', 'cors'],
  ['HTTP_SEC_FETCH_SITE', 'same-origin'],
  ['HTTP_X_REQUEST_ID', '8c3e1f0a-6b2d-4e59-9a7c-1d2e3f4a5b6c'],
  ['HTTP_X_FORWARDED_FOR', '198.51.100.7'],
];

const body = new Uint8Array(1024).map((_, i) => 0x20 + (i % 90));
const requestBytes = concat([
  encodeBeginRequest(1, Role.Responder, KEEP_CONN),
  encodeRecord(RecordType.Params, 1, encodeParams(NGINX_PARAMS)),
  encodeStreamEnd(RecordType.Params, 1),
  encodeRecord(RecordType.Stdin, 1, body),
  encodeStreamEnd(RecordType.Stdin, 1),
]);
const requestBuffer = Buffer.from(requestBytes.buffer, requestBytes.byteOffset, requestBytes.length);

/** One keep-alive connection's worth of decoding with @fcgi/protocol: records, params, body views. */
function oursRequestDecoder(encoding = 'utf-8') {
  const decoder = new RecordDecoder();
  return () => {
    const records = decoder.push(requestBytes);
    let params;
    let paramsDecoder;
    let role = 0;
    const stdin = [];
    for (const record of records) {
      switch (record.type) {
        case RecordType.BeginRequest:
          role = decodeBeginRequestBody(record.content).role;
          paramsDecoder = new ParamsDecoder({ maxPairs: 1000, maxBytes: 65536, encoding });
          break;
        case RecordType.Params:
          if (record.content.length > 0) paramsDecoder.push(record.content);
          else params = paramsDecoder.end();
          break;
        case RecordType.Stdin:
          if (record.content.length > 0) stdin.push(record.content);
          break;
      }
    }
    sink += params.length + stdin.length + role;
  };
}

/** The same with fastcgi-stream, driven as its README shows: a stream emitting 'data'. */
function theirsRequestDecoder() {
  const socket = new EventEmitter();
  const stream = new FastCGIStream(socket);
  let params = [];
  let stdin = [];
  let role = 0;
  stream.on('record', (_requestId, record) => {
    switch (record.TYPE) {
      case RecordType.BeginRequest:
        role = record.role;
        params = [];
        stdin = [];
        break;
      case RecordType.Params:
        for (const pair of record.params) params.push(pair);
        break;
      case RecordType.Stdin:
        if (record.data.length > 0) stdin.push(record.data);
        break;
    }
  });
  return () => {
    socket.emit('data', requestBuffer);
    sink += params.length + stdin.length + role;
  };
}

// The machine is shared: rates are per second of this process's CPU time, not of wall time.
function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function requestsPerSecond(run, ms) {
  const start = cpuSeconds();
  const deadline = start + ms / 1000;
  let count = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 256; i++) run();
    count += 256;
    now = cpuSeconds();
  }
  return count / (now - start);
}

// ---------------------------------------------------------------------------------------------------
// Input (2): a 64 MiB STDIN stream, delivered like socket reads of 64 KiB.

function stdinStream(recordSize) {
  const payload = new Uint8Array(STREAM_BYTES).map((_, i) => i & 0xff);
  const parts = [];
  for (let at = 0; at < payload.length; at += recordSize) {
    const content = payload.subarray(at, Math.min(at + recordSize, payload.length));
    const padding = -content.length & 7;
    const header = new Uint8Array(8);
    writeHeader(header, 0, RecordType.Stdin, 1, content.length, padding);
    parts.push(header, content, new Uint8Array(padding));
  }
  parts.push(encodeStreamEnd(RecordType.Stdin, 1));
  const wire = concat(parts);
  const chunks = [];
  for (let at = 0; at < wire.length; at += CHUNK_BYTES) {
    chunks.push(wire.subarray(at, Math.min(at + CHUNK_BYTES, wire.length)));
  }
  return {
    chunks,
    buffers: chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length)),
    length: wire.length,
  };
}

function timeStream(run, length) {
  gc();
  const start = cpuSeconds();
  run();
  const seconds = cpuSeconds() - start;
  return length / 1e6 / seconds;
}

function streamContenders({ chunks, buffers, length }) {
  const target = new Uint8Array(length);
  return {
    copy: () => {
      let at = 0;
      for (const chunk of chunks) {
        target.set(chunk, at);
        at += chunk.length;
      }
      sink += target[at - 1];
    },
    ours: () => {
      const decoder = new RecordDecoder();
      let bytes = 0;
      for (const chunk of chunks) {
        for (const record of decoder.push(chunk)) bytes += record.content.length;
      }
      sink += bytes;
    },
    oursSplit: () => {
      const decoder = new RecordDecoder({ splitStreams: true });
      let bytes = 0;
      for (const chunk of chunks) {
        for (const record of decoder.push(chunk)) bytes += record.content.length;
      }
      sink += bytes;
    },
    theirs: () => {
      const socket = new EventEmitter();
      const stream = new FastCGIStream(socket);
      let bytes = 0;
      stream.on('record', (_id, record) => {
        bytes += record.data.length;
      });
      for (const buffer of buffers) socket.emit('data', buffer);
      sink += bytes;
    },
  };
}

// ---------------------------------------------------------------------------------------------------

function measure(contenders, once) {
  const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const run of Object.values(contenders)) once(run); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no contender always runs right after the same one.
    const names = Object.keys(contenders);
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      results[name].push(once(contenders[name]));
    }
  }
  return Object.fromEntries(Object.entries(results).map(([name, values]) => [name, median(values)]));
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(
  `@fcgi/protocol codec benchmark — node ${process.version}, ${ROUNDS} rounds, medians of rates per CPU-second`,
);
console.log(
  `input (1): BEGIN_REQUEST + ${NGINX_PARAMS.length} nginx params (${encodeParams(NGINX_PARAMS).length} B of PARAMS content) + 1 KiB STDIN = ${requestBytes.length} B per request`,
);

const request = measure(
  { ours: oursRequestDecoder(), oursLatin1: oursRequestDecoder('latin1'), theirs: theirsRequestDecoder() },
  (run) => requestsPerSecond(run, REQUEST_ROUND_MS),
);

const rows = [
  ['(1) one request: records + params + body', 'req/s', request.ours, request.theirs, undefined],
  // The responder decodes params byte-for-byte (latin1), as node:http does for header bytes.
  ['(1) the same, params decoded as latin1', 'req/s', request.oursLatin1, request.theirs, undefined],
];

for (const [label, recordSize] of [
  ['(2) 64 MiB STDIN, nginx 32 KiB records', NGINX_STDIN_RECORD],
  ['(2b) 64 MiB STDIN, 65535 B records', 65535],
]) {
  const input = stdinStream(recordSize);
  const stream = measure(streamContenders(input), (run) => timeStream(run, input.length));
  rows.push([label, 'MB/s', stream.ours, stream.theirs, stream.copy]);
  rows.push([`${label}, splitStreams`, 'MB/s', stream.oursSplit, stream.theirs, stream.copy]);
}

const table = rows.map(([label, unit, ours, theirs, copy]) => ({
  benchmark: label,
  unit,
  '@fcgi/protocol': fmt(ours),
  'fastcgi-stream': fmt(theirs),
  'Uint8Array.set copy': copy === undefined ? '—' : fmt(copy),
  'ours / fastcgi-stream': `${fmt(ours / theirs, 2)}×`,
  'ours / copy': copy === undefined ? '—' : `${fmt(ours / copy, 2)}×`,
}));
console.table(table);
if (sink === 0.5) console.log(sink); // keeps results observable so no work is optimised away
