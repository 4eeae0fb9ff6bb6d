import { appPath, cliPath, nodePath } from './paths';
import { type RunResult, run } from './processes';

/** The argv that starts `fcgi serve` on the test app, for launchers that exec a command. */
export function serveCommand(...extra: string[]): string[] {
  return [nodePath, cliPath, 'serve', appPath, ...extra];
}

/** `fcgi request TARGET PATH -i`: straight to the FastCGI app, no web server in between. */
export function fcgiRequest(target: string, path: string, timeoutMs = 30_000): Promise<RunResult> {
  return run(nodePath, [cliPath, 'request', target, path, '-i', '--timeout', String(timeoutMs)], {
    timeoutMs: timeoutMs + 10_000,
  });
}

/** `fcgi values TARGET`: the FCGI_GET_VALUES answer as a record. */
export async function fcgiValues(target: string): Promise<Record<string, string>> {
  const result = await run(nodePath, [cliPath, 'values', target]);
  if (result.code !== 0) throw new Error(`fcgi values ${target} exited ${result.code}: ${result.stderr}`);
  const values: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

export interface CliResponse {
  status: number;
  body: string;
}

/** Splits `fcgi request -i` output ("HTTP/1.1 200 OK", headers, blank line, body). */
export function parseCliResponse(result: RunResult): CliResponse {
  if (result.code !== 0 && result.code !== 1) {
    throw new Error(`fcgi request failed (exit ${result.code}): ${result.stderr}`);
  }
  const match = /^HTTP\/1\.1 (\d{3})[^\n]*\n(?:[^\n]*[^\r\n][^\n]*\n)*\r?\n/.exec(result.stdout);
  if (!match) throw new Error(`unexpected fcgi request output: ${result.stdout.slice(0, 200)}`);
  return { status: Number(match[1]), body: result.stdout.slice(match[0].length) };
}

/** GET through FastCGI straight to the app; the parsed response, or an error naming what went wrong. */
export async function fcgiGet(target: string, path: string, timeoutMs?: number): Promise<CliResponse> {
  return parseCliResponse(await fcgiRequest(target, path, timeoutMs));
}
