/**
 * A small seeded generator (mulberry32): the same seed gives the same sequence on every machine, so a
 * failing fuzz run can be replayed from the seed it prints.
 */
export class Prng {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

/** A fresh seed, or the one named by STRESS_SEED to replay a run. */
export function seedFromEnv(): number {
  const named = process.env.STRESS_SEED;
  if (named !== undefined && /^\d+$/.test(named)) return Number(named) >>> 0;
  return Math.floor(Math.random() * 2 ** 32);
}
