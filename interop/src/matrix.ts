/** The behaviour × column result table printed at the end of a run. */

export type Outcome = 'pass' | 'fail' | 'skip';

const SYMBOL: Record<Outcome, string> = { pass: 'pass', fail: 'FAIL', skip: 'skip' };

export class Matrix {
  readonly #columns: string[];
  readonly #rows = new Map<string, Map<string, Outcome>>();

  constructor(columns: string[]) {
    this.#columns = columns;
  }

  addColumn(column: string): void {
    if (!this.#columns.includes(column)) this.#columns.push(column);
  }

  /** Adds the row now (rows keep the order they were declared in), with no outcome yet. */
  declare(behaviour: string): void {
    if (!this.#rows.has(behaviour)) this.#rows.set(behaviour, new Map());
  }

  set(behaviour: string, column: string, outcome: Outcome): void {
    let row = this.#rows.get(behaviour);
    if (!row) this.#rows.set(behaviour, (row = new Map()));
    row.set(column, outcome);
  }

  hasFailure(column: string): boolean {
    for (const row of this.#rows.values()) if (row.get(column) === 'fail') return true;
    return false;
  }

  toMarkdown(): string {
    const lines = [
      `| behaviour | ${this.#columns.join(' | ')} |`,
      `| --- |${' --- |'.repeat(this.#columns.length)}`,
    ];
    for (const [behaviour, row] of this.#rows) {
      const cells = this.#columns.map((column) => {
        const outcome = row.get(column);
        return outcome ? SYMBOL[outcome] : '';
      });
      lines.push(`| ${behaviour} | ${cells.join(' | ')} |`);
    }
    return `${lines.join('\n')}\n`;
  }
}
