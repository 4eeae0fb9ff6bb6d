import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from './cases';
import { COLUMNS } from './columns';
import { runWrk } from './load';
import { nginxConfig } from './nginx';
import { startPinned, stop, stopAll, stopAllOnSignal, waitListening } from './processes';
import { benchDir, makeRunDir } from './results-io';
import { readSettings } from './settings';
import { preflight } from './system';

/**
 * `pnpm bench:profile`: our responder under wrk load behind nginx (same pinning as the benchmark),
 * one `node --cpu-prof` process per case, summarised as self time per function and per area.
 * Writes results/profile-<case>.md and keeps the .cpuprofile files for Chrome DevTools.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Only the samples inside [from, to] µs before the profile's end: the timed load, not start-up. */
function windowed(profile: CpuProfile, fromEndUs: number, toEndUs: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const beforeEnd = profile.endTime - t;
    if (beforeEnd <= fromEndUs && beforeEnd >= toEndUs) {
      samples.push(id);
      timeDeltas.push(delta);
    }
  });
  return { ...profile, samples, timeDeltas };
}

/** Which part of the stack a frame belongs to, so the summary reads as "what costs". */
function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'native (program)';
  if (url.includes('/responder/')) return '@fcgi/responder';
  if (url.includes('/protocol/')) return '@fcgi/protocol';
  if (url.includes('/bench/')) return 'bench app';
  if (url.includes('undici') || url.includes('internal/deps/undici'))
    return 'undici (Request/Response/Headers/body)';
  // ReadableStream's constructor marks every stream transferable: that cost is the stream's.
  if (url.includes('webstreams') || url.includes('js_transferable')) return 'web streams';
  if (url.includes('abort_controller') || url.includes('event_target') || url === 'node:events') {
    return 'AbortController/EventTarget';
  }
  if (
    name === 'writeBuffer' ||
    name === 'writev' ||
    name === 'writeUtf8String' ||
    name === 'writeLatin1String'
  ) {
    return 'socket writes (native)';
  }
  if (url.includes('internal/url') || url === 'node:url') return 'URL';
  if (url.includes('net') || url.includes('stream') || url.includes('stream_base')) return 'node net/streams';
  if (url === '') return 'native/builtin';
  return 'node internals (other)';
}

function shortUrl(url: string): string {
  const marker = ['/packages/', 'node_modules/', 'node:'].find((m) => url.includes(m));
  return marker ? url.slice(url.indexOf(marker)) : url;
}

export function summarizeProfile(profile: CpuProfile, title: string): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let total = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += micros;
      continue;
    }
    total += micros;
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + micros);
  }
  // Inclusive time of the responder's own functions: where in our code the time is spent, callees included.
  const inclusive = new Map<string, number>();
  const visit = (id: number, stack: Set<string>): number => {
    const node = byId.get(id)!;
    let sum = self.get(id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = url.includes('/responder/')
      ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`
      : '';
    const fresh = key !== '' && !stack.has(key);
    if (fresh) stack.add(key);
    for (const child of node.children ?? []) sum += visit(child, stack);
    if (fresh) {
      stack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    }
    return sum;
  };
  visit(profile.nodes[0]!.id, new Set());

  const pct = (v: number) => `${((v / total) * 100).toFixed(1)}%`;
  const rows = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, v]) => `| ${pct(v)} | ${(v / 1000).toFixed(0)} | \`${k.replace(/\|/g, '\\|')}\` |`);
  return [
    `### ${title}`,
    '',
    `Busy samples: ${(total / 1000).toFixed(0)} ms (idle ${(idle / 1000).toFixed(0)} ms not counted).`,
    '',
    '| share | ms | area (self time) |',
    '|--:|--:|---|',
    ...rows(byArea, 20),
    '',
    '| share | ms | function (self time) |',
    '|--:|--:|---|',
    ...rows(byFunction, 30),
    '',
    '| share | ms | @fcgi/responder function (inclusive) |',
    '|--:|--:|---|',
    ...rows(inclusive, 20),
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile.js')) {
  stopAllOnSignal();
  const settings = readSettings();
  const { nginx, cores } = preflight();
  const run = makeRunDir();
  // Profiles are megabytes each: results/tmp/ is git-ignored; the summary is what gets committed.
  const outDir = join(benchDir, 'results', 'tmp', 'profiles');
  mkdirSync(outDir, { recursive: true });
  const ours = COLUMNS.find((c) => c.id === 'ours-keepconn')!;
  const sections: string[] = [];
  try {
    for (const c of CASES.filter((x) => !settings.cases || settings.cases.has(x.id))) {
      const profDir = join(run.dir, `prof-${c.id}`);
      mkdirSync(profDir, { recursive: true });
      const socket = join(run.dir, `profile-${c.id}.sock`);
      const backend = startPinned(
        `profile-${c.id}`,
        cores.backend,
        [
          process.execPath,
          '--cpu-prof',
          `--cpu-prof-dir=${profDir}`,
          join(benchDir, 'dist', 'backends', 'ours.js'),
        ],
        // BENCH_APP=light profiles the handler answering with the responder's light Response.
        {
          env: { BENCH_SOCKET: socket, BENCH_APP: process.env.BENCH_APP ?? 'plain' },
          logFile: join(run.dir, `profile-${c.id}.log`),
        },
      );
      await waitListening(backend, { path: socket });
      for (const dir of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
        mkdirSync(join(run.dir, 'nginx-tmp', dir), { recursive: true });
      }
      const port = 18390;
      const config = join(run.dir, `nginx-profile-${c.id}.conf`);
      const front = { ...ours.front({ runDir: run.dir, backendCpu: cores.backend }), socket };
      writeFileSync(
        config,
        nginxConfig(run.dir, [{ name: 'profile', port, front }], process.getuid?.() === 0),
      );
      const nginxProc = startPinned('nginx', cores.front, [nginx, '-c', config, '-p', run.dir], {
        logFile: join(run.dir, 'nginx-profile.log'),
      });
      await waitListening(nginxProc, { host: '127.0.0.1', port });
      const load = (seconds: number) =>
        runWrk({
          cpu: cores.front,
          url: `http://127.0.0.1:${port}${c.path}`,
          benchCase: c,
          seconds,
          connections: settings.connections,
          scriptDir: run.dir,
        });
      await load(settings.warmupSeconds);
      const result = await load(settings.seconds * 2);
      // The profile also covers start-up, warm-up and shutdown: time the shutdown to cut them off.
      const loadEnded = performance.now();
      await stop(nginxProc);
      await stop(backend);
      const shutdownUs = (performance.now() - loadEnded) * 1000;
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written for ${c.id} (did the backend exit cleanly?)`);
      const raw = readFileSync(join(profDir, file), 'utf8');
      writeFileSync(join(outDir, `ours-${c.id}.cpuprofile`), raw);
      const rps = Math.round(result.requests / (result.durationUs / 1e6));
      const profile = windowed(JSON.parse(raw) as CpuProfile, shutdownUs + result.durationUs, shutdownUs);
      const section = summarizeProfile(profile, `${c.title} (${rps} req/s under the profiler)`);
      sections.push(section);
      process.stderr.write(`${section}\n`);
    }
    const app = process.env.BENCH_APP === 'light' ? 'the light Response' : 'the global Response';
    const markdown = `# CPU profile of @fcgi/responder under load

\`pnpm bench:profile\`: our responder (keep_conn, handler answering with ${app}) behind nginx under wrk,
${settings.connections} connections, pinned like the benchmark; only the samples of the timed
${settings.seconds * 2} s of load are counted.

${sections.join('\n')}`;
    writeFileSync(join(benchDir, 'results', 'profile-summary.md'), markdown);
    process.stdout.write('wrote results/profile-summary.md; .cpuprofile files in results/tmp/profiles/\n');
  } finally {
    await stopAll();
    run.cleanup();
  }
}
