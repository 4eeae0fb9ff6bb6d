import { CASES, requestBody } from './cases';
import { encodeRawRequest, openRaw } from './raw-client';

/**
 * The load side of the micro-benchmark, run as its own pinned process: BENCH_CONNECTIONS keep-alive
 * connections each sending one request after another for BENCH_SECONDS, through the raw record client
 * (BENCH_CLIENT=raw) or @fcgi/client (BENCH_CLIENT=fcgi-client). Prints one JSON line.
 */
const socketPath = process.env.BENCH_SOCKET!;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const benchCase = CASES.find((c) => c.id === process.env.BENCH_CASE)!;
const mode = process.env.BENCH_CLIENT ?? 'raw';

type Exchange = () => Promise<number>;

/** One exchange before timing: the CGI answer must be a 200 with exactly the expected body. */
function checkAnswer(stdout: Buffer): void {
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.subarray(0, Math.max(split, 0)).toString('latin1');
  const body = stdout.subarray(split + 4);
  const status = /^Status: (\d+)/im.exec(head)?.[1] ?? '200';
  if (split === -1 || status !== '200' || !body.equals(benchCase.expectedBody)) {
    throw new Error(`wrong answer for ${benchCase.id}: status ${status}, ${body.length} body bytes`);
  }
}

async function rawExchanges(): Promise<{ exchanges: Exchange[]; close: () => Promise<void> }> {
  const request = encodeRawRequest(benchCase.method, benchCase.path, requestBody(benchCase));
  const conns = await Promise.all(Array.from({ length: connections }, () => openRaw(socketPath)));
  checkAnswer(await conns[0]!.exchangeBytes(request));
  return {
    exchanges: conns.map((conn) => () => conn.exchange(request)),
    close: async () => {
      for (const conn of conns) conn.socket.destroy();
    },
  };
}

async function fcgiClientExchanges(): Promise<{ exchanges: Exchange[]; close: () => Promise<void> }> {
  const { createClient } = await import('@fcgi/client');
  const client = createClient(`unix:${socketPath}`, { poolSize: connections });
  const body = requestBody(benchCase);
  const exchange: Exchange = async () => {
    const response = await client.fetch(`http://127.0.0.1:8080${benchCase.path}`, {
      method: benchCase.method,
      body,
      headers: body ? { 'content-type': 'application/octet-stream' } : {},
    });
    const bytes = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    return bytes.byteLength;
  };
  return { exchanges: Array.from({ length: connections }, () => exchange), close: () => client.close() };
}

const { exchanges, close } = mode === 'fcgi-client' ? await fcgiClientExchanges() : await rawExchanges();
let requests = 0;
let errors = 0;
let firstError: string | undefined;
const cpuBefore = process.cpuUsage();
const start = performance.now();
const deadline = start + seconds * 1000;
await Promise.all(
  exchanges.map(async (exchange) => {
    while (performance.now() < deadline) {
      try {
        // The raw client counts STDOUT bytes (head + body), so a short body is an error.
        const got = await exchange();
        if (got < benchCase.expectedBody.length) throw new Error(`short response: ${got} bytes`);
        requests++;
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
        if (mode === 'raw') return; // a raw connection is unusable after an error
      }
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await close();
process.stdout.write(
  `${JSON.stringify({ requests, seconds: elapsed, errors, firstError, clientCpuUs: cpu.user + cpu.system })}\n`,
);
process.exit(0);
