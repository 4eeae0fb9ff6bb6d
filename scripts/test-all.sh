#!/usr/bin/env bash
# The whole test suite on every runtime the project supports: what `pnpm test` runs, locally and in CI.
#   Node 24, the first-class line: every suite (unit and property tests, the examples, interop against
#     real web servers, process models, stress, and the Bun and Deno smoke tests).
#   Node 20, 22 and 26: the unit suites (packages/* and examples/*).
# Each runtime comes from npm through scripts/install-runtimes.sh; the tooling (pnpm, turbo, vitest)
# runs on whichever Node is first in PATH. Every run writes its vitest JSON reports to .test-results/,
# one file per package and Node line, which scripts/test-totals.mjs totals.
#   FCGI_FULL_LINE=26 FCGI_UNIT_LINES="22" pnpm test     # another choice of lines
set -uo pipefail
cd "$(dirname "$0")/.."

full_line="${FCGI_FULL_LINE:-24}"
unit_lines="${FCGI_UNIT_LINES:-20 22 26}"

runtimes=("node$full_line" bun deno)
for line in $unit_lines; do runtimes+=("node$line"); done
bash scripts/install-runtimes.sh "${runtimes[@]}" || exit 1

status=0
on_line() {
  local line="$1"
  shift
  echo "::: Node $line: $*"
  PATH="$PWD/.runtimes/node$line/bin:$PATH" "$@" || status=1
}

on_line "$full_line" pnpm exec turbo run test --concurrency=1 --continue
for line in $unit_lines; do
  on_line "$line" pnpm exec turbo run test --concurrency=1 --continue --filter='./packages/*' --filter='./examples/*'
done
exit "$status"
