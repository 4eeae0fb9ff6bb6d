/**
 * Run length and selection from the environment:
 *   BENCH_SECONDS (5)  timed seconds per round      BENCH_ROUNDS (3)   rounds per case and column
 *   BENCH_WARMUP (2)   untimed seconds per column   BENCH_CONNECTIONS (50)
 *   BENCH_QUICK=1      smoke run: 1 s rounds, 1 round, short warm-up; writes no RESULTS.md
 *   BENCH_COLUMNS / BENCH_CASES   comma lists to run a subset (ids as in the report)
 *   BENCH_SKIP=micro,memory       skip the direct micro-benchmark and/or the idle-connection check
 */
export interface Settings {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  quick: boolean;
  columns?: Set<string>;
  cases?: Set<string>;
  skip: Set<string>;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

const list = (name: string) => {
  const raw = process.env[name];
  return raw
    ? new Set(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
    : undefined;
};

export function readSettings(): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    seconds: Math.round(positive('BENCH_SECONDS', quick ? 1 : 5)),
    rounds: Math.round(positive('BENCH_ROUNDS', quick ? 1 : 3)),
    warmupSeconds: Math.round(positive('BENCH_WARMUP', quick ? 1 : 2)),
    connections: Math.round(positive('BENCH_CONNECTIONS', 50)),
    quick,
    columns: list('BENCH_COLUMNS'),
    cases: list('BENCH_CASES'),
    skip: list('BENCH_SKIP') ?? new Set(),
  };
}
