#!/usr/bin/env node
// Requests/s of `fcgi serve --workers N` behind nginx, for N = 1, 2, 4 (or the counts given as
// arguments), measured with wrk. A measurement script, not a test: numbers depend on the machine and
// on whatever else runs on it, so they are printed, never asserted.
//
//   node scripts/workers-throughput.mjs [--duration 5] [--connections 50] [1 2 4]
//
// Needs nginx and wrk on PATH and a built CLI (packages/cli/dist/cli.js: `pnpm build`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' } },
});
const workerCounts = positionals.length > 0 ? positionals.map(Number) : [1, 2, 4];
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const cli = [here('../../packages/cli/dist/cli.js')].find(existsSync);
if (!cli) throw new Error('no fcgi CLI: run `pnpm build` first');
const app = here('../fixtures/app.mjs');

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function waitUntil(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function start(command, args, logFile) {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    output: () => output,
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 10_000);
      await exited;
      clearTimeout(timer);
      if (logFile) writeFileSync(logFile, output);
    },
  };
}

function nginxConfig(dir, port, socket) {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
user root;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp;
  upstream pool { server unix:${socket}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      fastcgi_pass pool;
      fastcgi_keep_conn on;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param SERVER_NAME $server_name;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
    }
  }
}
`;
}

async function measure(workers) {
  const dir = mkdtempSync(join(tmpdir(), 'fcgi-throughput-'));
  mkdirSync(join(dir, 'tmp'));
  const socket = join(dir, 'app.sock');
  const pool = start(process.execPath, [cli, 'serve', app, '--socket', socket, '--workers', String(workers)]);
  let nginx;
  try {
    await waitUntil(`${workers} workers`, () => pool.output().includes(`with ${workers} workers`));
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, socket));
    nginx = start('nginx', ['-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    await waitUntil('nginx', () => existsSync(join(dir, 'nginx.pid')));
    const url = `http://127.0.0.1:${port}/`;
    // Warm up the JIT and nginx's keepalive connections, then measure.
    execFileSync('wrk', ['-t1', `-c${values.connections}`, '-d1s', url], { stdio: 'ignore' });
    const report = execFileSync(
      'wrk',
      ['-t1', `-c${values.connections}`, `-d${values.duration}s`, '--latency', url],
      {
        encoding: 'utf8',
      },
    );
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(report)?.[1]);
    const p50 = /50%\s+(\S+)/.exec(report)?.[1];
    const p99 = /99%\s+(\S+)/.exec(report)?.[1];
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? '0';
    return { workers, rps, p50, p99, errors };
  } finally {
    await nginx?.stop();
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `fcgi serve --workers N behind nginx (1 nginx worker), wrk -t1 -c${values.connections} -d${values.duration}s`,
);
console.log(`${cpus().length} CPUs, load average before: ${load}, CLI: ${cli}`);
console.log('workers  requests/s  p50      p99      non-2xx');
for (const workers of workerCounts) {
  const { rps, p50, p99, errors } = await measure(workers);
  console.log(
    `${String(workers).padEnd(8)} ${rps.toFixed(0).padStart(10)}  ${p50.padEnd(8)} ${p99.padEnd(8)} ${errors}`,
  );
}
