#!/usr/bin/env bash
# Runs a command with a given Node line first in PATH, installing it from npm if needed:
#   bash scripts/with-node.sh 24 node dist/run.js
# The line may be 20, 22, 24, 26, or "system" for the machine's own node.
set -euo pipefail
line="$1"
shift
if [ "$line" != system ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  bash "$root/scripts/install-runtimes.sh" "node$line" >&2
  export PATH="$root/.runtimes/node$line/bin:$PATH"
fi
exec "$@"
