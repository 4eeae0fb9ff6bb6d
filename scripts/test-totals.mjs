// Totals every vitest JSON report in .test-results/ (one per package and Node line) into the one line CI
// reads, printed last: "N passed, M failed". A line per runtime and the skipped count come before it.
// Extra failures (a build or lint step that broke before tests ran) come in as the first argument.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../.test-results/', import.meta.url).pathname;
let passed = 0;
let failed = Number(process.argv[2] ?? 0);
let skipped = 0;
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {}

const byLine = new Map();
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const line = /\.(node\d+)\.json$/.exec(file)?.[1] ?? 'other';
  const counts = byLine.get(line) ?? { passed: 0, failed: 0 };
  // A suite that fails to load has no tests to count but must not pass silently.
  const unloaded = (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
  ).length;
  counts.passed += report.numPassedTests ?? 0;
  counts.failed += (report.numFailedTests ?? 0) + unloaded;
  byLine.set(line, counts);
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + unloaded;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
for (const [line, counts] of [...byLine].sort()) {
  console.log(`${line}: ${counts.passed} passed, ${counts.failed} failed`);
}
console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
