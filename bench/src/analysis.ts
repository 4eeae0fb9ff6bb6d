import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './results-io';

/** The hand-written reading of the numbers (ANALYSIS.md) and a link to the profile, for RESULTS.md. */
export function analysisSection(): string {
  const analysisPath = join(benchDir, 'ANALYSIS.md');
  const profileSummary = join(benchDir, 'results', 'profile-summary.md');
  return [
    existsSync(analysisPath) ? readFileSync(analysisPath, 'utf8') : '',
    existsSync(profileSummary)
      ? 'Per-function CPU profile of the responder under load: [results/profile-summary.md](./results/profile-summary.md) (`pnpm bench:profile`).'
      : '',
  ].join('\n\n');
}
