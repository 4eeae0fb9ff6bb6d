/**
 * Runs the app the way examples/webservers/fcgi-app.socket + fcgi-app.service would under systemd:
 * both units are rendered, and `systemd-socket-activate` plays systemd with the unit's ListenStream
 * and ExecStart, so the check exercises the files users install.
 */

import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { type LaunchedProcess, launch } from '@fcgi/test-utils/processes';
import { paths } from './paths';
import { renderTemplate } from './render';
import type { RunDir } from './run-dir';

/** The value of `key=` in a unit file (the last one wins, as in systemd). */
export function unitValue(unitText: string, key: string): string {
  let value: string | undefined;
  for (const line of unitText.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (match && match[1] === key) value = match[2]!.trim();
  }
  if (value === undefined) throw new Error(`the unit has no ${key}=`);
  return value;
}

export interface SocketActivatedApp {
  readonly socketPath: string;
  /** systemd-socket-activate, which becomes the app on the first connection. */
  readonly process: LaunchedProcess;
}

export async function startSocketActivatedApp(runDir: RunDir): Promise<SocketActivatedApp> {
  for (const built of [paths.cli, paths.conformanceHandler]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` first`);
  }
  const socketUnit = readFileSync(
    renderTemplate('fcgi-app.socket', runDir.path, { socket_path: runDir.file('activated.sock') }),
    'utf8',
  );
  const serviceUnit = readFileSync(
    renderTemplate('fcgi-app.service', runDir.path, {
      fcgi_command: `${process.execPath} ${paths.cli}`,
      app_module: paths.conformanceHandler,
    }),
    'utf8',
  );
  const socketPath = unitValue(socketUnit, 'ListenStream');
  const command = unitValue(serviceUnit, 'ExecStart').split(/\s+/);
  const activator = await launch({
    name: 'systemd-socket-activate',
    command: 'systemd-socket-activate',
    args: ['--listen', socketPath, '--setenv', 'FCGI_STATS=1', ...command],
    logFile: runDir.file('socket-activated-app.log'),
    readyWhen: { socketPath },
  });
  chmodSync(socketPath, 0o666);
  return { socketPath, process: activator };
}
