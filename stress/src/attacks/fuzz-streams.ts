// Record streams for the fuzzer: a valid stream as a web server might send it (several requests,
// multiplexed, with management records among them), then a few random mutations of its bytes.
import {
  encodeBeginRequestBody,
  encodeGetValues,
  encodeParams,
  FCGI_HEADER_LEN,
  FCGI_MAX_CONTENT_LEN,
  FCGI_VERSION_1,
  RecordType,
  Role,
} from '@fcgi/protocol';
import type { Prng } from '../prng';
import { requestParams } from '../requests';

/** Bytes of a stream, and where each of its valid records starts (mutations aim at header fields). */
export interface FuzzStream {
  bytes: Uint8Array;
  recordOffsets: number[];
}

const URIS = ['/hello', '/echo', '/never-reads', '/output?bytes=300000', '/output?bytes=4000', '/missing'];
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS'];
const ROLES = [Role.Responder, Role.Responder, Role.Responder, Role.Authorizer, Role.Filter, 7];
const MANAGEMENT_NAMES = ['FCGI_MAX_CONNS', 'FCGI_MAX_REQS', 'FCGI_MPXS_CONNS', 'UNKNOWN_NAME'];
const HIGHEST_REQUEST_ID = 0xffff;

interface WireRecord {
  type: number;
  requestId: number;
  content: Uint8Array;
  padding: number;
}

function encode(records: readonly WireRecord[]): FuzzStream {
  const size = records.reduce((sum, r) => sum + FCGI_HEADER_LEN + r.content.length + r.padding, 0);
  const bytes = new Uint8Array(size);
  const recordOffsets: number[] = [];
  let at = 0;
  for (const record of records) {
    recordOffsets.push(at);
    // Written by hand, not with writeHeader: the fuzzer's records need not be ones it would accept.
    bytes[at] = FCGI_VERSION_1;
    bytes[at + 1] = record.type;
    bytes[at + 2] = record.requestId >>> 8;
    bytes[at + 3] = record.requestId & 0xff;
    bytes[at + 4] = record.content.length >>> 8;
    bytes[at + 5] = record.content.length & 0xff;
    bytes[at + 6] = record.padding;
    bytes.set(record.content, at + FCGI_HEADER_LEN);
    at += FCGI_HEADER_LEN + record.content.length + record.padding;
  }
  return { bytes, recordOffsets };
}

function record(
  random: Prng,
  type: number,
  requestId: number,
  content: Uint8Array = new Uint8Array(0),
): WireRecord {
  // Senders may pad any record; most pad to a multiple of 8 or not at all.
  const padding = random.chance(0.1) ? random.int(0, 255) : random.chance(0.5) ? -content.length & 7 : 0;
  return { type, requestId, content, padding };
}

/** The records of one request, in order: BEGIN, PARAMS in pieces, their end, STDIN in pieces, its end. */
function requestStream(random: Prng, requestId: number): WireRecord[] {
  const method = random.pick(METHODS);
  const bodyLength = random.chance(0.5) ? random.int(0, 3000) : 0;
  const extra: { [name: string]: string } = {};
  if (bodyLength > 0 || random.chance(0.2))
    extra.CONTENT_LENGTH = String(random.chance(0.8) ? bodyLength : random.int(0, 10_000));
  if (random.chance(0.3)) extra.HTTP_X_NOISE = 'x'.repeat(random.int(0, 2000));
  const params = encodeParams(requestParams(method, random.pick(URIS), extra));
  const flags = random.chance(0.6) ? 1 : 0;
  const records = [
    record(random, RecordType.BeginRequest, requestId, encodeBeginRequestBody(random.pick(ROLES), flags)),
  ];
  for (const piece of pieces(random, params))
    records.push(record(random, RecordType.Params, requestId, piece));
  records.push(record(random, RecordType.Params, requestId));
  if (random.chance(0.1)) {
    records.push(record(random, RecordType.AbortRequest, requestId));
    return records;
  }
  const body = random.bytes(bodyLength);
  for (const piece of pieces(random, body)) records.push(record(random, RecordType.Stdin, requestId, piece));
  if (random.chance(0.9)) records.push(record(random, RecordType.Stdin, requestId));
  return records;
}

/** `data` cut at random points into record-sized pieces. */
function pieces(random: Prng, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    const length = Math.min(data.length - at, random.int(1, FCGI_MAX_CONTENT_LEN), random.int(1, 4096));
    out.push(data.subarray(at, at + length));
    at += length;
  }
  return out;
}

function managementRecord(random: Prng): WireRecord {
  if (random.chance(0.5)) {
    const names = MANAGEMENT_NAMES.filter(() => random.chance(0.5));
    return record(random, RecordType.GetValues, 0, encodeGetValues(names));
  }
  return record(random, random.int(12, 255), 0, random.bytes(random.int(0, 16)));
}

/** A valid stream: a few requests on distinct ids, their records interleaved, management records among them. */
export function validStream(random: Prng): FuzzStream {
  const requests = random.int(1, 4);
  const ids = new Set<number>();
  while (ids.size < requests)
    ids.add(random.chance(0.9) ? random.int(1, 8) : random.int(1, HIGHEST_REQUEST_ID));
  const queues = [...ids].map((id) => requestStream(random, id));
  if (random.chance(0.3)) queues.push([managementRecord(random)]);
  const records: WireRecord[] = [];
  // Interleave: each step takes the next record of a random request, keeping each request's order.
  while (queues.some((queue) => queue.length > 0)) {
    const queue = random.pick(queues.filter((q) => q.length > 0));
    records.push(queue.shift() as WireRecord);
  }
  return encode(records);
}

type Mutation = (random: Prng, stream: FuzzStream) => Uint8Array;

const HEADER_FIELDS = [
  { offset: 0, size: 1 }, // version
  { offset: 1, size: 1 }, // type
  { offset: 2, size: 2 }, // request id
  { offset: 4, size: 2 }, // content length
  { offset: 6, size: 1 }, // padding length
];

const MUTATIONS: readonly Mutation[] = [
  function flipBit(random, { bytes }) {
    const out = bytes.slice();
    const at = random.int(0, out.length - 1);
    out[at] = (out[at] as number) ^ (1 << random.int(0, 7));
    return out;
  },
  function overwriteByte(random, { bytes }) {
    const out = bytes.slice();
    out[random.int(0, out.length - 1)] = random.int(0, 255);
    return out;
  },
  function insertBytes(random, { bytes }) {
    const at = random.int(0, bytes.length);
    return concat(bytes.subarray(0, at), random.bytes(random.int(1, 16)), bytes.subarray(at));
  },
  function deleteBytes(random, { bytes }) {
    const at = random.int(0, bytes.length - 1);
    return concat(bytes.subarray(0, at), bytes.subarray(at + random.int(1, 16)));
  },
  function truncate(random, { bytes }) {
    return bytes.slice(0, random.int(0, bytes.length - 1));
  },
  function duplicateRange(random, { bytes }) {
    const at = random.int(0, bytes.length - 1);
    const end = Math.min(bytes.length, at + random.int(1, 64));
    return concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
  },
  function setHeaderField(random, { bytes, recordOffsets }) {
    const out = bytes.slice();
    const field = random.pick(HEADER_FIELDS);
    const at = random.pick(recordOffsets) + field.offset;
    for (let i = 0; i < field.size && at + i < out.length; i++) out[at + i] = random.int(0, 255);
    return out;
  },
];

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** A valid stream with up to four random mutations (none, one time in ten). */
export function mutatedStream(random: Prng): Uint8Array {
  const stream = validStream(random);
  if (random.chance(0.1)) return stream.bytes;
  let bytes = stream.bytes;
  const count = random.int(1, 4);
  for (let i = 0; i < count && bytes.length > 0; i++) {
    // Offsets go stale after a length-changing mutation; a header-field mutation then hits other bytes.
    bytes = random.pick(MUTATIONS)(random, { bytes, recordOffsets: stream.recordOffsets });
  }
  return bytes;
}
