// Launching and waiting for the processes and servers that interop/, process-models/ and bench/ start:
// one launcher (process groups, log files, one stop grace period), run dirs, free ports and waits.
export {
  type Exit,
  type LaunchedProcess,
  type LaunchOptions,
  launch,
  type ReadyOptions,
  STOP_GRACE_MS,
  spawnGroup,
  stopAll,
} from './processes/launch';
export { freePort } from './processes/ports';
export { createRunDir, type RunDir } from './processes/run-dir';
export {
  canConnect,
  DEFAULT_WAIT_MS,
  describeEndpoint,
  type Endpoint,
  readText,
  type WaitOptions,
  waitFor,
  waitForFile,
  waitForListening,
  waitForLogLine,
} from './processes/wait';
