/** Help texts, one per command; `fcgi <command> --help` prints the command's text. */
export const helpTexts = {
  main: `fcgi - FastCGI for Web-standard fetch handlers

Usage: fcgi <command> [options]

Commands:
  serve ./app.js       serve a module's fetch handler over FastCGI
  request TARGET PATH  send one request to a FastCGI backend, like curl
  values TARGET        print a backend's FCGI_GET_VALUES answer
  ping TARGET          health check: exit 0 when the backend answers (Docker HEALTHCHECK, systemd)
  config SERVER        print a ready nginx, caddy, apache, lighttpd, haproxy or systemd configuration
  gateway              local HTTP server in front of a FastCGI backend (development)
  dev ./app.js         serve a module and a gateway in front of it (development)

Options:
  -h, --help           show help (also: fcgi <command> --help)
  -v, --version        print the version

TARGET is unix:/path/app.sock, ./app.sock, host:port, tcp://host:port, [::1]:port or a port number.
`,
  serve: `Usage: fcgi serve ./app.js [--socket PATH [--socket-mode 660] | --port N [--host H]] [--workers N] [--roles R]

Serves the module's default export over FastCGI: a function (request, info) => Response, or an object
with a fetch(request, info) method ("export default app" from Hono works unchanged).

Options:
  --socket PATH        listen on a unix socket (default: $FCGI_SOCKET); a stale file is replaced
  --socket-mode MODE   permissions of the socket file (default 660: owner and group, whatever the umask)
  --port N             listen on TCP port N (default: $FCGI_PORT; 0 = any free port)
  --host H             TCP address to bind (default 127.0.0.1)
  --workers N          run N worker processes sharing one listener; a crashed worker is replaced
  --roles R            FastCGI roles served, comma-separated: responder (the default), authorizer
  -h, --help           show this help

Without --socket or --port, a socket handed over by the web server (fd 0, as lighttpd, spawn-fcgi and
mod_fcgid do) or by systemd (LISTEN_FDS) is used; otherwise it listens on a free port on 127.0.0.1.
It prints where it listens. SIGTERM, SIGINT or SIGUSR1 (Apache's graceful stop) finish the requests
in flight, then exit. With --workers, each worker accepts connections on the shared listener itself.
Handler errors go to stderr with their stack. FCGI_WEB_SERVER_ADDRS (comma-separated IPs) limits which
TCP peers may connect, as the FastCGI spec says.
`,
  request: `Usage: fcgi request TARGET PATH [options]

Sends one request to a FastCGI backend (php-fpm, fcgi serve, ...) and prints the response body.
Exit status: 0 for a 2xx/3xx response, 1 for any other status, 2 for a usage error, 3 when the backend
cannot be reached - so it works as a container or systemd health check.

Options:
  -X, --method METHOD       request method (default GET, or POST with -d)
  -H, --header 'Name: v'    add a request header (repeatable)
  -d, --data DATA           request body; @file reads a file, @- reads stdin
  -i, --include             print the status line and headers before the body
  --script-filename FILE    SCRIPT_FILENAME param (php-fpm needs it: /var/www/index.php)
  --document-root DIR       DOCUMENT_ROOT param
  --param NAME=VALUE        add or override any FastCGI param (repeatable)
  --timeout MS              give up after MS milliseconds (default 30000)
  -h, --help                show this help

Example:
  fcgi request unix:/run/php/php-fpm.sock /ping --script-filename /ping
`,
  values: `Usage: fcgi values TARGET [NAME...]

Asks a FastCGI backend for FCGI_MAX_CONNS, FCGI_MAX_REQS and FCGI_MPXS_CONNS (or the NAMEs given) with
FCGI_GET_VALUES and prints the answer as NAME=VALUE lines. Exit status 3 when it cannot connect.

Options:
  --timeout MS         give up after MS milliseconds (default 10000)
  -h, --help           show this help
`,
  gateway: `Usage: fcgi gateway --listen PORT --to TARGET [--host 127.0.0.1] [--root DIR] [--buffer-body]

A small HTTP server that forwards every request to a FastCGI backend, streaming bodies both ways, so you
can try a FastCGI app in a browser without installing a web server. With --root, GET and HEAD requests
for files under DIR are answered from disk first; everything else goes to the backend.
This is a development tool: in production, put nginx, Caddy, Apache or HAProxy in front.

Options:
  --listen PORT             HTTP port (0 = any free port)
  --host H                  HTTP address to bind (default 127.0.0.1)
  --to TARGET               the FastCGI backend
  --root DIR                serve static files from DIR; also sent as DOCUMENT_ROOT
  --script-filename FILE    SCRIPT_FILENAME for every request (a front controller such as index.php)
  --timeout MS              answer 504 when the backend has not answered after MS (default 60000)
  --buffer-body             read chunked uploads (no Content-Length) into memory and send them with
                            CONTENT_LENGTH, as nginx does; PHP reads no body without it
  --max-body SIZE           answer 413 for a Content-Length (or, with --buffer-body, a chunked body)
                            larger than SIZE (bytes, or 512k, 8m, 1g); default: none, 8m with --buffer-body
  -q, --quiet               do not log each request on stdout
  -h, --help                show this help
`,
  ping: `Usage: fcgi ping TARGET [--path PATH] [--timeout MS] [--quiet]

A FastCGI health check. Without --path it sends FCGI_GET_VALUES, which the backend answers without
running the app (php-fpm and fcgi serve both do); with --path it sends GET PATH through the app and
wants a 2xx or 3xx answer.

Exit status: 0 healthy; 1 unhealthy (cannot connect, no answer within the timeout, or an error
status), with the reason on stderr; 2 for a command-line mistake (no check ran).

Options:
  --path PATH          GET this path through the app instead of FCGI_GET_VALUES
  --timeout MS         unhealthy when there is no answer within MS milliseconds (default 5000)
  -q, --quiet          print nothing when healthy
  -h, --help           show this help

Examples:
  HEALTHCHECK CMD ["node_modules/.bin/fcgi", "ping", "/run/app/fcgi.sock", "--quiet"]     (Dockerfile)
  ExecStartPost=/srv/app/node_modules/.bin/fcgi ping /run/app/fcgi.sock --timeout 2000  (systemd unit)
`,
  config: `Usage: fcgi config nginx|caddy|apache|lighttpd|haproxy|systemd [options]

Prints a configuration for that web server (or systemd socket activation) in front of this app. It is
rendered from the templates the fcgi repository runs the real servers on in its interop suite.

Options:
  --socket PATH        the app's unix socket (default: $FCGI_SOCKET, else /run/app/fcgi.sock)
  --port N             the app listens on TCP port N instead (--host H, default 127.0.0.1)
  --listen PORT        the web server's HTTP port (default 80)
  --run-dir DIR        where the server keeps its pid file, logs and temp files (default /var/lib/fcgi-app)
  --root DIR           DOCUMENT_ROOT passed to the app (default /srv/app/public)
  --user NAME          nginx: the account its workers run as (default www-data)
  --app FILE           systemd: the module fcgi serve runs (default ./dist/app.js, made absolute)
  --fcgi FILE          systemd: the fcgi executable (default ./node_modules/.bin/fcgi, made absolute)
  -h, --help           show this help

systemd prints two units, fcgi-app.socket and fcgi-app.service, and needs --socket.

Examples:
  fcgi config nginx --socket /run/app/fcgi.sock > /etc/nginx/conf.d/app.conf
  fcgi config caddy --port 9000 --listen 8080
`,
  dev: `Usage: fcgi dev ./app.js [--listen PORT] [--host 127.0.0.1] [--root DIR] [--name NAME]

Serves the module over FastCGI on a private unix socket and runs the HTTP gateway in front of it, then
prints the URL to open. This is a development tool: in production run "fcgi serve" behind nginx or Caddy.

Options:
  --listen PORT        HTTP port (default 3000, or a free port when 3000 is taken)
  --host H             HTTP address to bind (default 127.0.0.1)
  --root DIR           serve static files from DIR first
  --name NAME          label printed before the URL (default: the module's file name)
  -q, --quiet          do not log each request on stdout
  -h, --help           show this help
`,
} as const;

export type HelpTopic = keyof typeof helpTexts;
