import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type BenchCase, requestBody, wrkScript } from './cases';

export interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  latencyP50Us: number;
  latencyP99Us: number;
}

export const wrkFailures = (r: WrkResult) =>
  r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts;

/** Runs wrk pinned to `cpu` against one URL and returns its counters (from the script's done hook). */
export function runWrk(options: {
  cpu: string;
  url: string;
  benchCase: BenchCase;
  seconds: number;
  connections: number;
  scriptDir: string;
}): Promise<WrkResult> {
  const script = join(options.scriptDir, `wrk-${options.benchCase.id}.lua`);
  writeFileSync(script, wrkScript(options.benchCase));
  const args = ['-c', options.cpu, 'wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`];
  args.push('--timeout', '10s', '-s', script, options.url);
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = /^WRK_RESULT (\{.*\})$/m.exec(out);
      if (code !== 0 || !line) {
        reject(new Error(`wrk exited ${code} without a result:\n${out}`));
        return;
      }
      const result = JSON.parse(line[1]!) as WrkResult;
      // wrk's own summary line is the second witness for non-2xx/3xx answers.
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      if (non2xx) result.statusErrors = Math.max(result.statusErrors, Number(non2xx[1]));
      resolve(result);
    });
  });
}

export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** Sends the case's request once and compares status and every body byte with the expected answer. */
export function checkAnswer(port: number, c: BenchCase): Promise<CheckResult> {
  const body = requestBody(c);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: c.method,
        path: c.path,
        headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => resolve({ ok: false, detail: `response error: ${error.message}` }));
        res.on('end', () => {
          const got = Buffer.concat(chunks);
          if (res.statusCode !== 200) {
            resolve({
              ok: false,
              detail: `status ${res.statusCode}: ${got.subarray(0, 200).toString('latin1')}`,
            });
          } else if (!got.equals(c.expectedBody)) {
            resolve({
              ok: false,
              detail: `body differs: ${got.length} bytes, expected ${c.expectedBody.length}; starts ${JSON.stringify(got.subarray(0, 40).toString('latin1'))}`,
            });
          } else {
            resolve({ ok: true, detail: 'ok' });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (error) => resolve({ ok: false, detail: `request error: ${error.message}` }));
    req.end(body);
  });
}
