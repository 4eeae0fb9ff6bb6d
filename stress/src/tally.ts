/** Counts of things by kind ("ok", "status 503", "ECONNRESET", ...). */
export class Tally {
  readonly counts = new Map<string, number>();

  add(kind: string, count = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + count);
  }

  get(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  /** "ok 1234, timeout 2", most frequent first. */
  toString(): string {
    const entries = [...this.counts].sort((a, b) => b[1] - a[1]);
    return entries.length === 0 ? 'none' : entries.map(([kind, count]) => `${kind} ${count}`).join(', ');
  }
}
