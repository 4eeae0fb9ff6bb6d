import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysisSection } from './analysis';
import { renderChart } from './chart';
import { renderResults } from './report';
import type { MemoryBenchRun, MicroBenchRun, NginxBenchRun } from './results';
import { benchDir, latestRaw } from './results-io';

/** `pnpm bench:report`: RESULTS.md again from the newest raw runs in results/, without measuring. */
const nginx = latestRaw<NginxBenchRun>('nginx');
if (!nginx) {
  process.stderr.write('no results/nginx-*.json yet: run `pnpm bench` first\n');
  process.exit(1);
}
const micro = latestRaw<MicroBenchRun>('micro');
const memory = latestRaw<MemoryBenchRun>('memory');
const files = [nginx, micro, memory].filter((f) => f !== undefined).map((f) => f.name);
writeFileSync(
  join(benchDir, 'RESULTS.md'),
  renderResults(nginx.data, micro?.data, memory?.data, files, analysisSection()),
);
writeFileSync(join(benchDir, 'chart.svg'), renderChart(nginx.data));
process.stdout.write(`wrote bench/RESULTS.md and bench/chart.svg from ${files.join(', ')}\n`);
