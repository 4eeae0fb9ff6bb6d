// Totals every vitest JSON report in .test-results/ into the one line CI reads: "N passed, M failed".
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

for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that fails to load has no tests to count but must not pass silently.
  failed += (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
  ).length;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
