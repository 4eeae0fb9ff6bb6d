import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPath, cliPath, nodePath, scaleOutDir } from './helpers/paths';
import { run } from './helpers/processes';
import { renderTemplate, renderTo, unitValues } from './helpers/render';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// The scale-out configs are also exercised end to end in many-hosts.test.ts, which needs network
// namespaces; these checks run everywhere, so that a broken config fails even where that suite skips.
describe('examples/webservers/scale-out renders to valid configs', () => {
  let dir: RunDir;
  const backends = { backend_1: '10.0.0.11:9000', backend_2: '10.0.0.12:9000' };

  beforeAll(() => {
    dir = makeRunDir('scale-out');
  });
  afterAll(() => dir.remove());

  it('nginx.conf passes `nginx -t` with an upstream of both backends, keepalive and retries', async () => {
    mkdirSync(dir.file('nginx'));
    const conf = renderTo(`${scaleOutDir}nginx.conf`, dir.file('nginx/nginx.conf'), {
      ...backends,
      listen_addr: '127.0.0.1:8080',
      run_dir: dir.file('nginx'),
    });
    expect(conf).toMatch(/server 10\.0\.0\.11:9000 max_fails=\d+ fail_timeout=\w+;/);
    expect(conf).toMatch(/server 10\.0\.0\.12:9000 max_fails=\d+ fail_timeout=\w+;/);
    expect(conf).toMatch(/keepalive \d+;/);
    expect(conf).toContain('fastcgi_next_upstream error timeout;');
    const check = await run('nginx', ['-t', '-c', dir.file('nginx/nginx.conf')]);
    expect(check.stderr).toContain('syntax is ok');
    expect(check.code).toBe(0);
  });

  it('haproxy.cfg passes `haproxy -c` with two proto fcgi servers health-checked through /health', async () => {
    const cfg = renderTo(`${scaleOutDir}haproxy.cfg`, dir.file('haproxy.cfg'), {
      ...backends,
      listen_addr: '127.0.0.1:8080',
      doc_root: dir.path,
    });
    expect(cfg).toMatch(/option httpchk GET \/health/);
    expect(cfg).toMatch(/default-server proto fcgi check/);
    const check = await run('haproxy', ['-c', '-f', dir.file('haproxy.cfg')]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
  });

  it('fcgi-backend.service starts `fcgi serve` on the host address with the allowlist set', () => {
    const unit = renderTemplate(`${scaleOutDir}fcgi-backend.service`, {
      fcgi_command: `${nodePath} ${cliPath}`,
      app_module: appPath,
      backend_addr: '10.0.0.11',
      backend_port: 9000,
      workers: 2,
      web_server_addr: '10.0.0.5',
    });
    expect(unitValues(unit, 'ExecStart')).toEqual([
      `${nodePath} ${cliPath} serve ${appPath} --host 10.0.0.11 --port 9000 --workers 2`,
    ]);
    expect(unitValues(unit, 'Environment')).toContain('FCGI_WEB_SERVER_ADDRS=10.0.0.5');
  });
});
