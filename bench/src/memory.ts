import { runMemoryBench } from './memory-bench';
import { stopAll, stopAllOnSignal } from './processes';
import { makeRunDir, saveRaw } from './results-io';
import { preflight } from './system';

/** `pnpm bench:memory`: only the 10,000 idle keep-alive connections check. */
stopAllOnSignal();
const run = makeRunDir();
try {
  const result = await runMemoryBench(run.dir, preflight().cores);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nsaved results/${saveRaw('memory', result)}\n`);
} finally {
  await stopAll();
  run.cleanup();
}
