// What every stress test shares: a fixture server per test, stopped after it, and the checks that
// the server came through an attack (alive, answering, memory bounded).
import type { ServeOptions } from '@fcgi/responder';
import { afterEach, expect } from 'vitest';
import { formatMiB, MiB } from '../src/memory';
import { legitRequest, OK } from '../src/requests';
import { ServerProcess } from '../src/server-process';

const LEGIT_TIMEOUT_MS = 10_000;
/** Requests sent before a baseline is taken, so that lazily loaded code counts as baseline. */
const WARM_UP_REQUESTS = 20;

const running = new Set<ServerProcess>();

afterEach(async () => {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((server) => server.stop()));
});

/** Starts the fixture server for this test and warms it up; stopped after the test. */
export async function startServer(options: ServeOptions = {}): Promise<ServerProcess> {
  const server = await ServerProcess.start(options);
  running.add(server);
  for (let i = 0; i < WARM_UP_REQUESTS; i++)
    expect(await legitRequest(server.socketPath, LEGIT_TIMEOUT_MS)).toBe(OK);
  return server;
}

/** The server is alive and answers a normal request. */
export async function expectServing(server: ServerProcess): Promise<void> {
  expect(server.alive, server.describeExit()).toBe(true);
  expect(await legitRequest(server.socketPath, LEGIT_TIMEOUT_MS)).toBe(OK);
}

/** Where a measurement starts: RSS (its peak reset here) and live memory, both after a full collection. */
export interface Baseline {
  rss: number;
  live: number;
}

export async function takeBaseline(server: ServerProcess): Promise<Baseline> {
  const { live } = await server.held();
  return { rss: server.baseline(), live };
}

export interface MemoryBounds {
  /** Most growth of live memory (heap and Buffers after a full collection): what the server holds. */
  held: number;
  /**
   * Most growth of peak RSS. Looser: bytes passing through leave garbage that V8 collects when it
   * chooses (it lets external memory grow by tens of MiB first), so the peak follows throughput too.
   */
  peak: number;
}

/** What a measurement found, and its figures for the report. */
export interface Memory {
  peakGrowth: number;
  heldGrowth: number;
  figures: { 'RSS baseline': string; 'RSS peak': string; 'held growth': string };
}

/** Peak RSS since `baseline`, and what the server holds now: call it while the attack still holds on. */
export async function measureMemory(server: ServerProcess, baseline: Baseline): Promise<Memory> {
  const peak = server.rss().peak;
  const heldGrowth = (await server.held()).live - baseline.live;
  return {
    peakGrowth: peak - baseline.rss,
    heldGrowth,
    figures: {
      'RSS baseline': formatMiB(baseline.rss),
      'RSS peak': formatMiB(peak),
      'held growth': formatMiB(heldGrowth),
    },
  };
}

export function expectMemoryWithin(memory: Memory, bounds: MemoryBounds): void {
  expect(memory.heldGrowth, `live memory grew ${memory.figures['held growth']}`).toBeLessThan(bounds.held);
  expect(memory.peakGrowth, `peak RSS ${memory.figures['RSS peak']}`).toBeLessThan(bounds.peak);
}

/** The bounds of the goals: the server holds under 64 MiB more, whatever the peer does. */
export const MEMORY_BOUNDS: MemoryBounds = { held: 64 * MiB, peak: 256 * MiB };

/** One line of figures for the test log, where a CI run keeps them. */
export function report(name: string, figures: Record<string, string | number>): void {
  const text = Object.entries(figures)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  console.log(`[stress] ${name}: ${text}`);
}

/** "ProtocolError UNSUPPORTED_VERSION 3, HandlerError 1", most frequent first. */
export function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([kind, count]) => `${kind} ${count}`).join(', ');
}

/** The first message of each error kind not named in `expected` ("none" when there is none). */
export function describeSamples(samples: Record<string, string>, expected: readonly string[]): string {
  const unexpected = Object.entries(samples).filter(
    ([kind]) => !expected.includes(kind.split(' ')[0] as string),
  );
  return unexpected.length === 0
    ? 'none'
    : unexpected.map(([kind, message]) => `${kind}: ${message}`).join('; ');
}
