// Legitimate traffic beside an attack: a few clients, each sending one request at a time on a fresh
// connection until stopped, with every outcome counted.
import { legitRequest, OK } from './requests';
import { Tally } from './tally';

export interface LegitLoadOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** How long one request may take before it counts as a timeout. */
  timeoutMs: number;
  /** Stop after this many requests in all (default: until stop()). */
  requests?: number;
  /** Pause between one client's requests, so that the load stays light beside the attack. */
  pauseMs?: number;
}

export class LegitLoad {
  readonly outcomes = new Tally();
  readonly latenciesMs: number[] = [];
  #stopped = false;
  #started = 0;
  readonly #done: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly options: LegitLoadOptions,
  ) {
    this.#done = Promise.all(Array.from({ length: options.concurrency }, () => this.#client())).then(
      () => undefined,
    );
  }

  get answered(): number {
    return this.outcomes.get(OK);
  }

  /** Resolves once the requests asked for have all ended. */
  finished(): Promise<void> {
    return this.#done;
  }

  /** Lets requests in flight finish and starts no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  /** The latency below which `fraction` of the answered requests came (0.99 for p99). */
  percentileMs(fraction: number): number {
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
  }

  async #client(): Promise<void> {
    while (!this.#stopped && (this.options.requests === undefined || this.#started < this.options.requests)) {
      this.#started++;
      const started = performance.now();
      const outcome = await legitRequest(this.path, this.options.timeoutMs);
      this.outcomes.add(outcome);
      if (outcome === OK) this.latenciesMs.push(performance.now() - started);
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }
}
