import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import {
  freePort,
  type LaunchedProcess,
  spawnGroup,
  stopAll,
  waitFor,
  waitForListening,
  waitForLogLine,
} from '@fcgi/test-utils/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from './helpers/fcgi';
import { httpGet, runConcurrently } from './helpers/http';
import { runOk } from './helpers/processes';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// mod_fcgid (Debian's libapache2-mod-fcgid) is Apache's process manager for FastCGI apps: its
// FcgidWrapper command is started on demand, as Apache's User (www-data), with a unix socket from
// FcgidIPCDir on fd 0. `virtual` means no script file has to exist for the URL.
describe('Apache mod_fcgid spawns `fcgi serve` with the socket on fd 0', () => {
  let dir: RunDir;
  let base: string;
  let apache: LaunchedProcess;

  beforeAll(async () => {
    dir = makeRunDir('mod-fcgid');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    mkdirSync(dir.file('htdocs'), { mode: 0o755 });
    // The process manager (running as www-data) creates its sockets here.
    mkdirSync(dir.file('ipc'), { mode: 0o755 });
    const wwwData = Number((await runOk('id', ['-u', 'www-data'])).trim());
    chownSync(dir.file('ipc'), wwwData, -1);
    // The app runs as www-data too and logs each request here.
    writeFileSync(dir.file('requests.log'), '');
    chownSync(dir.file('requests.log'), wwwData, -1);
    writeFileSync(dir.file('fcgi-app.sh'), `#!/bin/sh\nexec ${serveCommand().join(' ')}\n`);
    chmodSync(dir.file('fcgi-app.sh'), 0o755);
    writeFileSync(
      dir.file('apache2.conf'),
      `ServerRoot "${dir.path}"
DefaultRuntimeDir "${dir.path}"
PidFile "${dir.file('apache2.pid')}"
ErrorLog "${dir.file('apache2-error.log')}"
LogLevel warn
Listen 127.0.0.1:${port}
ServerName 127.0.0.1
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so
User www-data
Group www-data
DocumentRoot "${dir.file('htdocs')}"
FcgidIPCDir "${dir.file('ipc')}"
FcgidProcessTableFile "${dir.file('fcgid-shm')}"
FcgidMaxProcessesPerClass 2
FcgidInitialEnv PM_LOG "${dir.file('requests.log')}"
<Location "/">
  SetHandler fcgid-script
  Options +ExecCGI
  FcgidWrapper "${dir.file('fcgi-app.sh')}" virtual
  Require all granted
</Location>
`,
    );
    apache = spawnGroup({
      name: 'apache2',
      command: 'apache2',
      args: ['-f', dir.file('apache2.conf'), '-DFOREGROUND'],
      logFile: dir.file('apache2.log'),
    });
    await waitForListening({ port });
  });
  afterAll(async () => {
    await stopAll();
    dir?.remove();
  });

  it("serves requests through Apache from a process mod_fcgid started as Apache's user", async () => {
    const response = await httpGet(`${base}/launch`);
    expect(response.status).toBe(200);
    const wwwData = Number((await runOk('id', ['-u', 'www-data'])).trim());
    expect(JSON.parse(response.body)).toMatchObject({ uid: wwwData, stdinIsSocket: true, listenFds: null });
  });

  it('answers every one of 40 concurrent requests with its own id', async () => {
    const responses = await runConcurrently(40, 10, (i) => httpGet(`${base}/id?id=r${i}&ms=20`));
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).id).toBe(`r${i}`);
    });
  });

  // Last: it stops Apache. SIGWINCH is Apache's graceful stop; mod_fcgid then stops its processes,
  // and the one busy with /slow must answer first.
  it('answers the in-flight request when Apache stops gracefully (SIGWINCH), then the app process is gone', async () => {
    const slow = httpGet(`${base}/slow?ms=2500`);
    const started = await waitForLogLine(dir.file('requests.log'), / \/slow\?/);
    const app = Number(started.split(' ')[1]);
    apache.signal('SIGWINCH');

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^slept 2500 /);
    expect(await apache.exited).toEqual({ code: 0, signal: null });
    await waitFor('the FastCGI process to exit', () => !isAlive(app));
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
