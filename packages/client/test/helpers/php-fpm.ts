import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PHP_FPM_BINARY = '/usr/sbin/php-fpm8.2';
export const phpFpmAvailable = existsSync(PHP_FPM_BINARY);

export interface PhpFpm {
  /** Directory holding the PHP scripts (DOCUMENT_ROOT). */
  readonly root: string;
  readonly socketPath: string;
  /** Everything php-fpm wrote to its own error log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

function poolConfig(dir: string, socketPath: string): string {
  return `[global]
error_log = ${join(dir, 'php-fpm.log')}
pid = ${join(dir, 'php-fpm.pid')}
daemonize = no

[www]
listen = ${socketPath}
pm = static
pm.max_children = 2
ping.path = /ping
ping.response = pong
catch_workers_output = yes
php_admin_value[log_errors] = On
php_admin_value[display_errors] = Off
php_admin_value[post_max_size] = 64M
php_admin_value[enable_post_data_reading] = On
`;
}

function waitForSocket(path: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`php-fpm exited with code ${child.exitCode} before listening`));
        return;
      }
      const socket = connect({ path });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > timeoutMs) reject(new Error(`php-fpm did not listen on ${path}`));
        // Polling is the only signal php-fpm gives that it listens; it is not used to order events.
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts php-fpm with a pool of its own on a unix socket in a fresh temp dir, with `scripts` in it. */
export async function startPhpFpm(scripts: Record<string, string>): Promise<PhpFpm> {
  const dir = await mkdtemp(join(tmpdir(), 'fcgi-client-php-'));
  const socketPath = join(dir, 'php-fpm.sock');
  const configPath = join(dir, 'php-fpm.conf');
  await writeFile(configPath, poolConfig(dir, socketPath));
  for (const [name, source] of Object.entries(scripts)) await writeFile(join(dir, name), source);
  const args = ['-n', '-F', '-y', configPath, '-p', dir];
  if (process.getuid?.() === 0) args.push('-R');
  const child = spawn(PHP_FPM_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let childStderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    childStderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForSocket(socketPath, child, 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${childStderr}`);
  }
  return {
    root: dir,
    socketPath,
    log: async () => {
      const { readFile } = await import('node:fs/promises');
      return readFile(join(dir, 'php-fpm.log'), 'utf8').catch(() => '');
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
