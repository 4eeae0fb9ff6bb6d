#!/usr/bin/env bash
# Installs the Debian packages the test suites and benchmarks drive: the five web servers, cgi-fcgi,
# php-fpm (the client's reference backend), spawn-fcgi/mod_fcgid (process models), wrk and curl.
# Idempotent: installs only what is missing. Services are never started (policy-rc.d), because the
# tests run each server in the foreground with a generated config on a loopback port.
set -euo pipefail

packages=(nginx-light caddy apache2 libapache2-mod-fcgid lighttpd haproxy libfcgi-bin php-fpm spawn-fcgi
  systemd wrk curl iproute2 procps)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Keep package scripts from starting the daemons we only want to run from tests.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && $sudo rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
