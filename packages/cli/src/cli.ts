#!/usr/bin/env node
import { constants } from 'node:os';
import { runCli } from './run-cli';

// SIGTERM/SIGINT stop long-running commands gracefully (requests in flight finish); a second one is
// the impatient user's way out. SIGUSR1 is Apache's graceful stop for its children (mod_fcgid), and
// without a listener Node would answer it by opening the inspector on 127.0.0.1:9229, a way for any
// local user to run code in this process, and keep running.
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(128 + constants.signals[signal]);
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
