import { readFileSync } from 'node:fs';
import { configCommand } from './commands/config';
import { devCommand } from './commands/dev';
import { gatewayCommand } from './commands/gateway';
import { pingCommand } from './commands/ping';
import { requestCommand } from './commands/request';
import { serveCommand } from './commands/serve';
import { valuesCommand } from './commands/values';
import { CliError, messageOf } from './errors';
import { ExitCode } from './exit-codes';
import { helpTexts } from './help';
import { type CliIO, resolveIO } from './io';

type Command = (args: string[], io: CliIO) => Promise<number>;

type CommandName = Exclude<keyof typeof helpTexts, 'main'>;

const commands: Record<CommandName, Command> = {
  serve: serveCommand,
  request: requestCommand,
  values: valuesCommand,
  ping: pingCommand,
  config: configCommand,
  gateway: gatewayCommand,
  dev: devCommand,
};

/**
 * Runs `fcgi` with `argv` (without the node and script paths) and resolves with the exit code. Errors
 * are printed as one line on io.stderr, never thrown. Long-running commands return when io.signal aborts.
 */
export async function runCli(argv: string[], ioOverrides: Partial<CliIO> = {}): Promise<number> {
  const io = resolveIO(ioOverrides);
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? args[0] : undefined;
      io.stdout.write(topic !== undefined && isCommand(topic) ? helpTexts[topic] : helpTexts.main);
      return name === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    if (name === '-v' || name === '--version') {
      io.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    }
    if (!isCommand(name)) {
      io.stderr.write(`fcgi: unknown command "${name}"; run fcgi --help for the list\n`);
      return ExitCode.Usage;
    }
    if (args.includes('-h') || args.includes('--help')) {
      io.stdout.write(helpTexts[name]);
      return ExitCode.Ok;
    }
    return await commands[name](args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`fcgi ${name}: ${error.message}\n`);
      if (error.exitCode === ExitCode.Usage) io.stderr.write(`run fcgi ${name} --help for usage\n`);
      return error.exitCode;
    }
    if (isParseArgsError(error)) {
      io.stderr.write(`fcgi ${name}: ${messageOf(error)}\nrun fcgi ${name} --help for usage\n`);
      return ExitCode.Usage;
    }
    io.stderr.write(
      `fcgi ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.Failure;
  }
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** The package version, read from package.json beside dist/ (or src/). */
export function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return packageJson.version;
}
