import { mkdirSync, writeFileSync } from 'node:fs';
import { type LaunchedProcess, spawnGroup } from '@fcgi/test-utils/processes';
import type { RunDir } from './run-dir';

/** The CGI params every nginx location here sends (Debian's fastcgi_params, the ones the app reads). */
export const FASTCGI_PARAMS = `
    fastcgi_param QUERY_STRING $query_string;
    fastcgi_param REQUEST_METHOD $request_method;
    fastcgi_param CONTENT_TYPE $content_type;
    fastcgi_param CONTENT_LENGTH $content_length;
    fastcgi_param SCRIPT_NAME $fastcgi_script_name;
    fastcgi_param REQUEST_URI $request_uri;
    fastcgi_param SERVER_PROTOCOL $server_protocol;
    fastcgi_param REMOTE_ADDR $remote_addr;
    fastcgi_param REMOTE_PORT $remote_port;
    fastcgi_param SERVER_ADDR $server_addr;
    fastcgi_param SERVER_PORT $server_port;
    fastcgi_param SERVER_NAME $server_name;`;

/** A whole nginx.conf around an http-level body, with every temp path and log inside the run dir. */
export function nginxConf(dir: RunDir, http: string): string {
  return `worker_processes 1;
pid ${dir.file('nginx.pid')};
error_log ${dir.file('nginx-error.log')} warn;
user root;
events { worker_connections 1024; }
http {
  access_log ${dir.file('nginx-access.log')};
  client_body_temp_path ${dir.file('nginx-tmp')};
  fastcgi_temp_path ${dir.file('nginx-tmp')};
  proxy_temp_path ${dir.file('nginx-tmp')};
  scgi_temp_path ${dir.file('nginx-tmp')};
  uwsgi_temp_path ${dir.file('nginx-tmp')};
${http}
}
`;
}

/** Writes the config and starts nginx in the foreground; the caller waits for its port. */
export function startNginx(dir: RunDir, config: string): LaunchedProcess {
  mkdirSync(dir.file('nginx-tmp'), { recursive: true });
  writeFileSync(dir.file('nginx.conf'), config);
  return spawnGroup({
    name: 'nginx',
    command: 'nginx',
    args: ['-c', dir.file('nginx.conf'), '-g', 'daemon off;'],
    logFile: dir.file('nginx.log'),
  });
}
