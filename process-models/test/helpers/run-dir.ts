import { createRunDir, type RunDir } from '@fcgi/test-utils/processes';

export type { RunDir };

/** A fresh run dir for one test's sockets, configs and logs; PM_KEEP_RUN_DIRS=1 keeps it for a post-mortem. */
export function makeRunDir(label: string): RunDir {
  return createRunDir('pm', label, { keep: Boolean(process.env.PM_KEEP_RUN_DIRS) });
}
