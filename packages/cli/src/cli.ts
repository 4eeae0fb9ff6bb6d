#!/usr/bin/env node
import { runCli } from './run-cli';

// SIGTERM/SIGINT stop long-running commands gracefully (requests in flight finish); a second one is
// the impatient user's way out.
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    stop.abort();
  });
}

// `fcgi request ... | head` closes our stdout early: stop quietly, as a tool killed by SIGPIPE would.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), { signal: stop.signal });
// Exit even if the served app left timers or sockets open; flush stdout first (async on some platforms).
process.stdout.write('', () => process.exit(code));
