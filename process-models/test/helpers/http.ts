import { type Agent, request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/** One GET to a web server in front of the app; rejects only when no HTTP response came back at all. */
export function httpGet(
  url: string,
  { agent, timeoutMs = 30_000 }: { agent?: Agent; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no response in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Runs `count` jobs with at most `concurrency` at once, in order of index; returns results by index. */
export async function runConcurrently<T>(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}
