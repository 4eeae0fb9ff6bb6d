import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tempDir } from './temp';

const bundled = new Map<string, Promise<string>>();
const dir = tempDir();

/** The child-server fixture bundled to plain JS once per test file (node cannot run the TS sources). */
export function childServerScript(): Promise<string> {
  return bundledFixture('child-server');
}

/** test/fixtures/<name>.ts bundled to plain JS once per test file, for a child process (or its workers) to run. */
export function bundledFixture(name: string): Promise<string> {
  let script = bundled.get(name);
  if (script) return script;
  script = (async () => {
    const outfile = `${dir.path}/${name}.mjs`;
    await build({
      entryPoints: [fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@fcgi/source'],
      logLevel: 'silent',
    });
    return outfile;
  })();
  bundled.set(name, script);
  return script;
}

export interface Child {
  process: ChildProcess;
  address: unknown;
  stop(): Promise<void>;
}

/** Starts `command args` and waits for the fixture's READY line. */
export function startChild(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: Array<'pipe' | 'ignore' | 'inherit' | number> } = {},
): Promise<Child> {
  const stdio = options.stdio ?? ['ignore', 'pipe', 'pipe'];
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: stdio as never });
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (.*)\n/.exec(output);
      if (match) {
        resolve({
          process: child,
          address: JSON.parse(match[1] as string),
          stop: () => stopChild(child),
        });
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before READY: ${errors}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function removeChildScripts(): void {
  dir.remove();
}
