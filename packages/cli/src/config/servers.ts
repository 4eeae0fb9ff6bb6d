/**
 * Each web server `fcgi config` knows: its template(s) and how the app's address is written in its
 * syntax. The interop suite renders the same templates with the same address spellings and runs the
 * real servers on them, so a printed config is a tested one.
 */
import type { TemplateValues } from './render';

/** Where the app listens: a unix socket, or TCP. */
export type Backend = { socketPath: string } | { host: string; port: number };

/** What the user chooses beside the backend; each server takes the ones its template has. */
export interface ConfigSettings {
  backend: Backend;
  /** The web server's HTTP port. */
  listenPort: number;
  /** A directory the web server may write its pid file, logs and temp files to. */
  runDir: string;
  /** The DOCUMENT_ROOT reported to the app. */
  docRoot: string;
  /** The account the server's workers run as, where the template sets one (nginx). */
  user: string;
  /** For systemd: the fcgi executable and the module whose default export is the handler. */
  fcgiCommand: string;
  appModule: string;
}

export interface ServerConfig {
  /** Template file names, printed in this order. */
  templates: readonly string[];
  values(settings: ConfigSettings, template: string): TemplateValues;
}

const isSocket = (backend: Backend): backend is { socketPath: string } => 'socketPath' in backend;
const hostPort = (backend: { host: string; port: number }) =>
  backend.host.includes(':') ? `[${backend.host}]:${backend.port}` : `${backend.host}:${backend.port}`;

/** How each server names the backend, as its FastCGI module wants it. */
export const backendSyntax = {
  nginx: (backend: Backend) => (isSocket(backend) ? `unix:${backend.socketPath}` : hostPort(backend)),
  caddy: (backend: Backend) => (isSocket(backend) ? `unix/${backend.socketPath}` : hostPort(backend)),
  apache: (backend: Backend) =>
    isSocket(backend) ? `unix:${backend.socketPath}|fcgi://localhost/` : `fcgi://${hostPort(backend)}/`,
  lighttpd: (backend: Backend) =>
    isSocket(backend)
      ? `"socket" => ${JSON.stringify(backend.socketPath)}`
      : `"host" => "${backend.host}", "port" => ${backend.port}`,
  haproxy: (backend: Backend) => (isSocket(backend) ? `unix@${backend.socketPath}` : hostPort(backend)),
} as const;

export const serverConfigs = {
  nginx: {
    templates: ['nginx.conf'],
    values: (s) => ({
      listen_port: s.listenPort,
      backend: backendSyntax.nginx(s.backend),
      run_dir: s.runDir,
      doc_root: s.docRoot,
      user: s.user,
    }),
  },
  caddy: {
    templates: ['Caddyfile'],
    values: (s) => ({
      listen_port: s.listenPort,
      backend: backendSyntax.caddy(s.backend),
      run_dir: s.runDir,
      doc_root: s.docRoot,
    }),
  },
  apache: {
    templates: ['apache2.conf'],
    values: (s) => ({
      listen_port: s.listenPort,
      backend_url: backendSyntax.apache(s.backend),
      run_dir: s.runDir,
    }),
  },
  lighttpd: {
    templates: ['lighttpd.conf'],
    values: (s) => ({
      listen_port: s.listenPort,
      backend: backendSyntax.lighttpd(s.backend),
      run_dir: s.runDir,
      doc_root: s.docRoot,
    }),
  },
  haproxy: {
    templates: ['haproxy.cfg'],
    values: (s) => ({
      listen_port: s.listenPort,
      backend: backendSyntax.haproxy(s.backend),
      doc_root: s.docRoot,
    }),
  },
  systemd: {
    templates: ['fcgi-app.socket', 'fcgi-app.service'],
    values: (s, template): TemplateValues => {
      if (!isSocket(s.backend)) throw new Error('systemd socket activation needs --socket PATH');
      return template === 'fcgi-app.socket'
        ? { socket_path: s.backend.socketPath }
        : { fcgi_command: s.fcgiCommand, app_module: s.appModule };
    },
  },
} satisfies Record<string, ServerConfig>;

export type ServerName = keyof typeof serverConfigs;

export const serverNames = Object.keys(serverConfigs) as ServerName[];
