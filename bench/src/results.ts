import type { WrkResult } from './load';
import type { MachineInfo } from './system';

/** The raw record of one benchmark run, saved as JSON under bench/results/ and rendered to RESULTS.md. */
export type Variant = 'split' | 'shared';

export interface TimedRun {
  variant: Variant;
  caseId: string;
  column: string;
  round: number;
  ok: boolean;
  failure?: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  backendCpuUs?: number;
  nginxCpuUs: number;
  backendUsPerRequest?: number;
  nginxUsPerRequest: number;
  backendPeakRssKiB?: number;
  /** CPU% of the backend's core used by processes outside the benchmark during the run. */
  foreignCpuPercent: number;
  wrk: WrkResult;
}

export interface AnswerCheck {
  column: string;
  caseId: string;
  ok: boolean;
  detail: string;
}

export interface NginxBenchRun {
  kind: 'nginx';
  startedAt: string;
  finishedAt: string;
  settings: { seconds: number; rounds: number; warmupSeconds: number; connections: number; quick: boolean };
  cores: { front: string; backend: string; note?: string };
  machine: MachineInfo;
  columns: Array<{ id: string; label: string }>;
  notes: string[];
  loadAverage: { before: string; after: string };
  checks: AnswerCheck[];
  runs: TimedRun[];
}

export interface MicroBenchRun {
  kind: 'micro';
  startedAt: string;
  client: string;
  connections: number;
  seconds: number;
  rounds: Array<{
    caseId: string;
    requests: number;
    seconds: number;
    requestsPerSecond: number;
    responderCpuUs: number;
    responderUsPerRequest: number;
    clientUsPerRequest: number;
    errors: number;
  }>;
}

export interface MemoryBenchRun {
  kind: 'memory';
  startedAt: string;
  connections: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  peakRssKiB: number;
  perConnectionBytes: number;
  openConnections: number;
}

export interface Summary {
  variant: Variant;
  caseId: string;
  column: string;
  okRounds: number;
  failedRounds: number;
  failures: string[];
  rpsMedian?: number;
  rpsMin?: number;
  rpsMax?: number;
  backendUsPerRequest?: number;
  nginxUsPerRequest?: number;
  peakRssKiB?: number;
  latencyP99Us?: number;
  foreignCpuPercent?: number;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(run: NginxBenchRun, variant: Variant, caseId: string, column: string): Summary {
  const runs = run.runs.filter((r) => r.variant === variant && r.caseId === caseId && r.column === column);
  const ok = runs.filter((r) => r.ok);
  const rps = ok.map((r) => r.requestsPerSecond);
  const pick = (f: (r: TimedRun) => number | undefined) =>
    median(ok.map(f).filter((v): v is number => v !== undefined));
  const peaks = ok.map((r) => r.backendPeakRssKiB).filter((v): v is number => v !== undefined);
  return {
    variant,
    caseId,
    column,
    okRounds: ok.length,
    failedRounds: runs.length - ok.length,
    failures: runs.filter((r) => !r.ok).map((r) => r.failure ?? 'failed'),
    rpsMedian: median(rps),
    rpsMin: rps.length ? Math.min(...rps) : undefined,
    rpsMax: rps.length ? Math.max(...rps) : undefined,
    backendUsPerRequest: pick((r) => r.backendUsPerRequest),
    nginxUsPerRequest: pick((r) => r.nginxUsPerRequest),
    peakRssKiB: peaks.length ? Math.max(...peaks) : undefined,
    latencyP99Us: pick((r) => r.wrk.latencyP99Us),
    foreignCpuPercent: pick((r) => r.foreignCpuPercent),
  };
}
