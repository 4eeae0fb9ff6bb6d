import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import { cli } from './helpers';

describe('fcgi command line', () => {
  it('prints the command list for --help and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(ExitCode.Ok);
    for (const command of ['serve', 'request', 'values', 'gateway', 'dev'])
      expect(result.stdout).toContain(command);
  });

  it('prints the command list and exits 2 when no command is given', async () => {
    const result = await cli([]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stdout).toContain('Usage: fcgi <command>');
  });

  it.each(['serve', 'request', 'values', 'gateway', 'dev'])(
    'prints help for "%s --help"',
    async (command) => {
      const result = await cli([command, '--help']);
      expect(result.code).toBe(ExitCode.Ok);
      expect(result.stdout).toContain(`Usage: fcgi ${command}`);
    },
  );

  it('says the gateway and dev commands are for development only', async () => {
    expect((await cli(['gateway', '--help'])).stdout).toMatch(
      /development tool: in production, put nginx, Caddy/,
    );
    expect((await cli(['dev', '--help'])).stdout).toMatch(/development tool.*nginx or Caddy/s);
  });

  it('prints the package version for --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await cli(['--version']);
    expect(result).toMatchObject({ code: ExitCode.Ok, stdout: `${version}\n` });
  });

  it('rejects an unknown command with exit 2', async () => {
    const result = await cli(['srve', 'app.js']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe('fcgi: unknown command "srve"; run fcgi --help for the list\n');
  });

  it('rejects an unknown option with exit 2 and points at the help', async () => {
    const result = await cli(['request', './app.sock', '/', '--nope']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toMatch(/--nope/);
    expect(result.stderr).toContain('run fcgi request --help');
  });

  it('rejects a request without a path', async () => {
    const result = await cli(['request', './app.sock']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('needs a TARGET and a PATH');
  });

  it('rejects a malformed target before connecting', async () => {
    const result = await cli(['request', 'http://example.com', '/']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('invalid target "http://example.com"');
  });

  it('rejects a malformed header', async () => {
    const result = await cli(['request', './app.sock', '/', '-H', 'no colon here']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("use -H 'Name: value'");
  });

  it('rejects --socket together with --port', async () => {
    const result = await cli(['serve', 'app.js', '--socket', 'a.sock', '--port', '9000']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('either --socket or --port');
  });

  it('rejects a gateway without --to', async () => {
    const result = await cli(['gateway', '--listen', '0']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('needs --to TARGET');
  });

  it('rejects --workers 0', async () => {
    const result = await cli(['serve', 'app.js', '--workers', '0']);
    expect(result.code).toBe(ExitCode.Usage);
  });
});
