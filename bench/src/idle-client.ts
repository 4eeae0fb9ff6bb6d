import { CASES } from './cases';
import { encodeRawRequest, openRaw, type RawConnection } from './raw-client';

/**
 * Holds BENCH_CONNECTIONS idle keep-alive FastCGI connections to BENCH_SOCKET: each connection serves
 * one GET /hello with FCGI_KEEP_CONN and is then left open. Prints one JSON line when all are idle
 * and stays until it is killed. Connections open in batches: a unix socket's accept backlog is finite.
 */
const socketPath = process.env.BENCH_SOCKET!;
const total = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const BATCH = 200;
const hello = CASES.find((c) => c.id === 'hello')!;
const request = encodeRawRequest(hello.method, hello.path);

const open: RawConnection[] = [];
let failed = 0;
let firstError: string | undefined;
for (let done = 0; done < total; done += BATCH) {
  const batch = Array.from({ length: Math.min(BATCH, total - done) }, async () => {
    try {
      const conn = await openRaw(socketPath);
      await conn.exchange(request);
      open.push(conn);
    } catch (error) {
      failed++;
      firstError ??= (error as Error).message;
    }
  });
  await Promise.all(batch);
}
process.stdout.write(`${JSON.stringify({ open: open.length, failed, firstError })}\n`);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1 << 30);
