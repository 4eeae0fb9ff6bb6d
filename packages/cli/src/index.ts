// The programmatic API (README, "Programmatic API"): each command as a function, and what their
// results and errors are. The commands' internals are imported by path in the tests, never from here.
export { type DevOptions, type DevServer, startDev } from './commands/dev';
export { type RequestCommandOptions, runRequest } from './commands/request';
export { getValues } from './commands/values';
export { renderText, type TemplateValues } from './config/render';
export { type Backend, backendSyntax, type ServerName, serverConfigs, serverNames } from './config/servers';
export { CliError, UsageError } from './errors';
export { ExitCode } from './exit-codes';
export { type Gateway, type GatewayOptions, startGateway } from './gateway/server';
export type { CliIO } from './io';
export { loadHandler } from './load-handler';
export { runCli } from './run-cli';
export { normalizeTarget } from './target';
