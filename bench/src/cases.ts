import { BINARY_TYPE, HELLO_BODY, patternBytes } from './app';

/** One request shape under load, with the exact answer every backend must give before it is timed. */
export interface BenchCase {
  id: string;
  title: string;
  method: 'GET' | 'POST';
  path: string;
  /** Request body length; the body is the shared ASCII pattern, so Lua can build the same bytes. */
  bodyLength: number;
  expectedBody: Buffer;
}

const ECHO_1K = 1024;
const ECHO_64K = 64 * 1024;
const BYTES_1M = 1024 * 1024;

export const CASES: BenchCase[] = [
  {
    id: 'hello',
    title: 'GET /hello',
    method: 'GET',
    path: '/hello',
    bodyLength: 0,
    expectedBody: Buffer.from(HELLO_BODY),
  },
  {
    id: 'echo-1k',
    title: 'POST /echo 1 KiB',
    method: 'POST',
    path: '/echo',
    bodyLength: ECHO_1K,
    expectedBody: patternBytes(ECHO_1K),
  },
  {
    id: 'echo-64k',
    title: 'POST /echo 64 KiB',
    method: 'POST',
    path: '/echo',
    bodyLength: ECHO_64K,
    expectedBody: patternBytes(ECHO_64K),
  },
  {
    id: 'bytes-1m',
    title: 'GET /bytes?n=1048576',
    method: 'GET',
    path: `/bytes?n=${BYTES_1M}`,
    bodyLength: 0,
    expectedBody: patternBytes(BYTES_1M),
  },
];

export const requestBody = (c: BenchCase): Buffer<ArrayBuffer> | undefined =>
  c.bodyLength > 0 ? patternBytes(c.bodyLength) : undefined;

/** The wrk script: sets the request and prints the run's counters as one JSON line at the end. */
export function wrkScript(c: BenchCase): string {
  const body =
    c.bodyLength > 0
      ? `wrk.body = string.sub(string.rep("0123456789abcdef", ${Math.ceil(c.bodyLength / 16)}), 1, ${c.bodyLength})
wrk.headers["Content-Type"] = "${BINARY_TYPE}"
`
      : '';
  return `wrk.method = "${c.method}"
${body}
done = function(summary, latency, requests)
  io.write(string.format(
    "WRK_RESULT {\\"requests\\":%d,\\"durationUs\\":%d,\\"bytes\\":%d,\\"connectErrors\\":%d,\\"readErrors\\":%d,\\"writeErrors\\":%d,\\"statusErrors\\":%d,\\"timeouts\\":%d,\\"latencyP50Us\\":%d,\\"latencyP99Us\\":%d}\\n",
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}
