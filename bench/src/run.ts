import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysisSection } from './analysis';
import { renderChart } from './chart';
import { runMemoryBench } from './memory-bench';
import { runMicroBench } from './micro-bench';
import { runNginxBench } from './nginx-bench';
import { stopAll, stopAllOnSignal } from './processes';
import { renderResults } from './report';
import type { MemoryBenchRun, MicroBenchRun } from './results';
import { benchDir, makeRunDir, saveRaw } from './results-io';
import { readSettings } from './settings';

/**
 * `pnpm bench`: the nginx-fronted comparison, then the direct micro-benchmark and the idle-connection
 * memory check; raw runs go to results/, the table to RESULTS.md (not on a BENCH_QUICK smoke run).
 */
stopAllOnSignal();
const settings = readSettings();
const run = makeRunDir();
try {
  const nginxRun = await runNginxBench(settings, run.dir);
  const rawFiles = [saveRaw(settings.quick ? 'quick-nginx' : 'nginx', nginxRun)];
  let micro: MicroBenchRun | undefined;
  let memory: MemoryBenchRun | undefined;
  if (!settings.skip.has('micro')) {
    micro = await runMicroBench(settings, run.dir, nginxRun.cores);
    rawFiles.push(saveRaw(settings.quick ? 'quick-micro' : 'micro', micro));
  }
  if (!settings.skip.has('memory')) {
    memory = await runMemoryBench(run.dir, nginxRun.cores);
    rawFiles.push(saveRaw(settings.quick ? 'quick-memory' : 'memory', memory));
  }
  const findings = analysisSection();
  const markdown = renderResults(nginxRun, micro, memory, rawFiles, findings);
  if (settings.quick) {
    process.stdout.write(markdown);
  } else {
    writeFileSync(join(benchDir, 'RESULTS.md'), markdown);
    writeFileSync(join(benchDir, 'chart.svg'), renderChart(nginxRun));
    process.stdout.write(`${markdown}\nwrote bench/RESULTS.md\n`);
  }
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  run.cleanup();
}
