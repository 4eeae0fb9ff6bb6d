import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningExample {
  socketPath: string;
  output: () => string;
  /** Sends SIGTERM (if still running), waits for the exit and removes the temp dir; gives the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Runs an example's `pnpm start` command (node dist/server.js, built by `pnpm build`) with FCGI_SOCKET in a temp
 * dir and resolves once the app says it is listening.
 */
export async function startExample(exampleDir: string): Promise<RunningExample> {
  const entry = join(exampleDir, 'dist', 'server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` in ${exampleDir} first`);
  const dir = await mkdtemp(join(tmpdir(), 'fcgi-example-'));
  const socketPath = join(dir, 'app.sock');
  const child = spawn(process.execPath, [entry], {
    cwd: exampleDir,
    env: { ...process.env, FCGI_SOCKET: socketPath, FCGI_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    await rm(dir, { recursive: true, force: true });
    return code;
  };
  try {
    await listening(child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socketPath, output: () => output, stop };
}

function listening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (output().includes('FastCGI on')) done(resolve);
    };
    const onExit = (code: number | null) =>
      done(() => reject(new Error(`the example exited (${code}) before listening:\n${output()}`)));
    const done = (settle: () => void) => {
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
