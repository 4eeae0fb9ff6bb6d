// Requests per second over ONE keep-alive connection, responder in a child process, raw-record client
// here. Usage (through run.mjs): node keepalive.mjs [seconds]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordDecoder, RecordType } from '@fcgi/protocol';
import { Response as LightResponse, serve } from '../src/index';
import { params, requestRecords } from '../test/helpers/fcgi-client';

const scenarios: Record<string, (request: Request) => Response | Promise<Response>> = {
  hello: () => new Response('Hello, World!'),
  'hello-light': () => new LightResponse('Hello, World!'),
  'url+headers': (request) =>
    Response.json({ path: new URL(request.url).pathname, agent: request.headers.get('user-agent') }),
  'post-echo': async (request) => new Response(await request.text()),
};

async function server(scenario: string, path: string): Promise<void> {
  const handler = scenarios[scenario];
  if (!handler) throw new Error(`unknown scenario ${scenario}`);
  await serve(handler, { socketPath: path });
  process.send?.('ready');
}

async function client(scenario: string, seconds: number): Promise<number> {
  const path = join(tmpdir(), `fcgi-bench-${process.pid}-${scenario.replace(/\W/g, '')}.sock`);
  const child = fork(process.argv[1] as string, ['--server', scenario, path], { stdio: 'inherit' });
  await once(child, 'message');
  const socket = connect({ path });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const extra = { HTTP_USER_AGENT: 'bench/1.0', HTTP_ACCEPT: '*/*', HTTP_ACCEPT_ENCODING: 'gzip' };
  const post = scenario === 'post-echo';
  const request = Buffer.concat(
    requestRecords({
      keepConn: true,
      params: params(post ? 'POST' : 'GET', '/bench?x=1', post ? { ...extra, CONTENT_LENGTH: '64' } : extra),
      body: post ? 'x'.repeat(64) : undefined,
    }),
  );
  const decoder = new RecordDecoder();
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      for (const record of decoder.push(chunk)) {
        if (record.type !== RecordType.EndRequest) continue;
        completed++;
        if (performance.now() >= deadline) {
          resolve();
          return;
        }
        socket.write(request);
      }
    });
    socket.write(request);
  });
  socket.destroy();
  child.kill();
  return completed / seconds;
}

const [flag, scenario = 'hello', path = ''] = process.argv.slice(2);
if (flag === '--server') {
  await server(scenario, path);
} else {
  const seconds = Number(flag ?? 5) || 5;
  for (const name of Object.keys(scenarios)) {
    const rate = await client(name, seconds);
    console.log(
      `${name.padEnd(12)} ${Math.round(rate).toString().padStart(7)} req/s over one keep-alive connection`,
    );
  }
}
