// Starts the fixture server in a child process and watches it: its RSS, the errors its responder
// reported, and whether it is still alive.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServeOptions } from '@fcgi/responder';
import { build } from 'esbuild';
import type { FixtureMessage, HeldMemory, ParentMessage } from './fixture/messages';
import { type RssReading, readRss, resetPeakRss } from './memory';

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;
const STDERR_KEPT = 64 * 1024;

/**
 * The fixture's TypeScript entry. Every caller (tests in test/, the soak in dist/) lives one directory
 * below the package root, so this path is right from either.
 */
export const FIXTURE_ENTRY = fileURLToPath(new URL('../src/fixture/server.ts', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The fixture bundled to one JavaScript file, once per process. The @fcgi packages come from their
 * sources, so a run measures the tree as it is, built or not.
 */
function fixtureScript(workDir: string): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(workDir, 'server.mjs');
    await build({
      entryPoints: [FIXTURE_ENTRY],
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
  return bundled;
}

const scriptDir = mkdtempSync(join(tmpdir(), 'fcgi-stress-'));
process.once('exit', () => rmSync(scriptDir, { recursive: true, force: true }));

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
  /** Set once the process has exited, whatever the reason. */
  exit: ExitStatus | undefined;
  #stderr = '';
  #stopping = false;

  private constructor(
    readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly dir: string,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
    });
  }

  /** Starts the fixture with `options` (socketPath and onError are the fixture's own). */
  static async start(options: ServeOptions = {}): Promise<ServerProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'fcgi-stress-run-'));
    const socketPath = join(dir, 'app.sock');
    const script = await fixtureScript(scriptDir);
    const child = fork(script, [], {
      env: {
        ...process.env,
        STRESS_SOCKET: socketPath,
        STRESS_SERVE_OPTIONS: JSON.stringify(options),
      },
      execPath: process.execPath,
      // For heldMemory(): a full collection before measuring what is held.
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const server = new ServerProcess(child, socketPath, dir);
    await server.#ready();
    return server;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the server process has no pid');
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** What the process wrote to stderr (its last 64 KiB): the stack of a crash, if any. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Why the process is not alive, for an assertion message. */
  describeExit(): string {
    if (!this.exit) return 'alive';
    return `exited (code ${this.exit.code}, signal ${this.exit.signal}); stderr:\n${this.#stderr}`;
  }

  rss(): RssReading {
    return readRss(this.pid);
  }

  /** Starts a new peak at the current RSS and returns that RSS: the baseline of a measurement. */
  baseline(): number {
    resetPeakRss(this.pid);
    return readRss(this.pid).rss;
  }

  /** What the process holds after a full garbage collection. */
  async held(): Promise<HeldMemory> {
    const reply = await this.#ask('held');
    if (reply.kind !== 'held') throw new Error(`asked for held memory, got ${reply.kind}`);
    return reply.memory;
  }

  /** The errors the responder has reported to onError, by "name code". */
  async errors(): Promise<Record<string, number>> {
    return (await this.errorReport()).errors;
  }

  /** The errors the responder has reported to onError, with the first message of each kind. */
  async errorReport(): Promise<{ errors: Record<string, number>; samples: Record<string, string> }> {
    const reply = await this.#ask('errors');
    if (reply.kind !== 'errors') throw new Error(`asked for errors, got ${reply.kind}`);
    return { errors: reply.errors, samples: reply.samples };
  }

  /** Sends `question` and resolves with the answer of that kind. */
  #ask(question: ParentMessage): Promise<FixtureMessage> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: FixtureMessage) => {
        if (message.kind !== question) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(message);
      };
      const onExit = () => {
        this.child.off('message', onMessage);
        reject(new Error(`the server process ${this.describeExit()}`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(question);
    });
  }

  /** SIGTERM (the responder's graceful close), then SIGKILL after a grace period; removes its directory. */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      if (this.alive) {
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
          this.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          this.child.kill('SIGTERM');
        });
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  #ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the server process did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      this.child.on('message', (message: FixtureMessage) => {
        if (message.kind !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`the server process ${this.describeExit()}`));
      });
    });
  }
}
