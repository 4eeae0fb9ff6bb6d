import { runMicroBench } from './micro-bench';
import { stopAll, stopAllOnSignal } from './processes';
import { makeRunDir, saveRaw } from './results-io';
import { readSettings } from './settings';
import { preflight } from './system';

/** `pnpm bench:micro`: only the direct client → responder benchmark. */
stopAllOnSignal();
const run = makeRunDir();
try {
  const result = await runMicroBench(readSettings(), run.dir, preflight().cores);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nsaved results/${saveRaw('micro', result)}\n`);
} finally {
  await stopAll();
  run.cleanup();
}
