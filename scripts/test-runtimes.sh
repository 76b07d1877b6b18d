#!/usr/bin/env bash
# The runtimes beyond the machine's Node, after `npm test` has run the whole suite on that one
# (.ci/run calls this). The runtimes are the exact versions of .ci/runtimes/package-lock.json,
# installed from it here; they live apart from the root package.json because their packages put
# `node` and `deno` on node_modules/.bin, where they would replace the Node that `npm test` runs.
#
#   Node 24      the whole suite
#   Node 22,     the checks that say a runtime works: the database round-trip and edit
#   Bun, Deno    properties on both backends, the Java fixture tests, the examples, the demo,
#                the CLI tours (in process, and the README's as real processes), `cheap bench`,
#                and the npm package installed into an empty project and imported from there
#
# Each runtime's results are headed `== <runtime> <version>: …`; a summary closes the output.
# Usage: scripts/test-runtimes.sh [node24 node22 bun deno]   (default: all four)
set -uo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC NO_COLOR=1

npm ci --prefix .ci/runtimes --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null ||
  { echo "cannot install the pinned runtimes (.ci/runtimes)" >&2; exit 1; }
R=.ci/runtimes/node_modules
NODE24=$PWD/$R/node24/bin/node
NODE22=$PWD/$R/node22/bin/node
BUN=$PWD/$R/@oven/bun-linux-x64/bin/bun
DENO=$PWD/$R/@deno/linux-x64-glibc/deno

# The subset for the runtimes that do not run the whole suite.
CHECKS=(
  test/unit/runtime.test.ts
  test/db/roundtrip.prop.test.ts
  test/unit/java-date-time.test.ts
  test/unit/java-decimal.test.ts
  test/unit/java-double.test.ts
  test/unit/json-reader.test.ts
  test/unit/json-writer.test.ts
  test/examples.test.ts
  test/cli/embedded.test.ts
  test/cli/server.test.ts
  test/cli/readme.test.ts
  test/cli/bench.test.ts
  test/pack.test.ts
)

LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
SUMMARY=()
FAILED=0

# The demo on both backends: exit 0 and "demo OK" (the loaded catalog equals the saved one).
demo() { # name, then the command that runs a TypeScript file on that runtime
  local name=$1 result=pass
  shift
  for backend in embedded server; do
    local url=""
    [ "$backend" = server ] && url=${DATABASE_URL:-}
    local started=$SECONDS
    if DATABASE_URL=$url "$@" src/cli/demo-entry.ts >"$LOGS/demo.txt" 2>&1 &&
      grep -q '^demo OK$' "$LOGS/demo.txt"; then
      echo "demo on $backend: OK in $((SECONDS - started)) s"
    else
      echo "demo on $backend: FAILED"
      cat "$LOGS/demo.txt"
      result=fail
    fi
  done
  [ $result = pass ]
}

record() { # runtime label, pass count, fail count, seconds, extra status (0 = ok)
  local line="== $1: $2 pass, $3 fail, demo $([ "$5" = 0 ] && echo OK || echo FAILED) ($4 s)"
  echo "$line"
  SUMMARY+=("$line")
  if [ "$3" != 0 ] || [ "$2" = 0 ] || [ "$5" != 0 ]; then FAILED=1; fi
}

# Node 24's V8 (13.6) can abort a process that creates and closes many PGlite instances
# (nodejs/node#64500: a double free of wasm import wrappers in wasm code GC). The library turns wasm
# code GC off itself on that V8 (src/persistence/connection/pglite-runtime.ts, tested in
# test/unit/pglite-runtime.test.ts). --no-memory-protection-keys, the first fix reported there,
# stays: Node refuses it in NODE_OPTIONS, so it goes on the command line, node:test passes it to
# each test file's process, and typeScriptCommand (src/cli/runtime.ts) to the children the tests
# start. Node 20's V8 has no such flag (nor, on record, the crash).
V8_FLAGS=(--no-memory-protection-keys)

node_run() { # label, node binary, test files… (NODE_FLAGS: the array of flags for that node)
  local label=$1 node=$2
  shift 2
  echo
  echo "== $label ($("$node" --version)): $# test files"
  local started=$SECONDS
  demo "$label" "$node" "${NODE_FLAGS[@]}" --import tsx
  local demo_status=$?
  # Two files at a time, as npm test runs them (one per core), sharing one embedded template
  # database per run as scripts/test.sh does.
  CHEAP_TEST_PGLITE_TEMPLATE="$LOGS/${label// /-}-pglite-template.tar" \
    "$node" "${NODE_FLAGS[@]}" --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=600000 \
    "$@" 2>&1 | tee "$LOGS/$label.txt"
  local pass fail
  pass=$(grep -E '^ℹ pass [0-9]+$' "$LOGS/$label.txt" | tail -1 | grep -oE '[0-9]+')
  fail=$(grep -E '^ℹ fail [0-9]+$' "$LOGS/$label.txt" | tail -1 | grep -oE '[0-9]+')
  record "$label $("$node" --version)" "${pass:-0}" "${fail:-?}" $((SECONDS - started)) $demo_status
}

bun_run() {
  echo
  echo "== bun $("$BUN" --version): ${#CHECKS[@]} test files"
  local started=$SECONDS
  demo bun "$BUN"
  local demo_status=$?
  # bun test runs every file in one process; node:test's describe/it/before/after map onto it.
  "$BUN" test --timeout 600000 "${CHECKS[@]}" 2>&1 | tee "$LOGS/bun.txt"
  local pass fail
  pass=$(grep -E '^ *[0-9]+ pass$' "$LOGS/bun.txt" | tail -1 | grep -oE '[0-9]+')
  fail=$(grep -E '^ *[0-9]+ fail$' "$LOGS/bun.txt" | tail -1 | grep -oE '[0-9]+')
  record "bun $("$BUN" --version)" "${pass:-0}" "${fail:-?}" $((SECONDS - started)) $demo_status
}

deno_run() {
  local version
  version=$("$DENO" --version | head -1 | cut -d' ' -f2)
  echo
  echo "== deno $version: ${#CHECKS[@]} test files"
  local started=$SECONDS
  demo deno "$DENO" run -A
  local demo_status=$?
  # deno test maps node:test onto Deno.test: a top-level describe is a test, its its are steps.
  # --no-check: tsc already checked the sources (npm test), with the project's settings.
  "$DENO" test -A --no-check "${CHECKS[@]}" 2>&1 | tee "$LOGS/deno.txt"
  local line pass fail
  line=$(grep -E '^(ok|FAILED) \| ' "$LOGS/deno.txt" | tail -1)
  # "ok | 13 passed (323 steps) | 0 failed (…)": count tests and steps, as the others do.
  pass=$(echo "$line" | sed -nE 's/.*\| ([0-9]+) passed( \(([0-9]+) steps\))?.*/\1 \3/p' |
    awk '{ print $1 + $2 }')
  fail=$(echo "$line" | sed -nE 's/.*\| ([0-9]+) failed( \(([0-9]+) steps\))?.*/\1 \3/p' |
    awk '{ print $1 + $2 }')
  record "deno $version" "${pass:-0}" "${fail:-?}" $((SECONDS - started)) $demo_status
}

RUNTIMES=("$@")
[ ${#RUNTIMES[@]} = 0 ] && RUNTIMES=(node24 node22 bun deno)
for runtime in "${RUNTIMES[@]}"; do
  case $runtime in
    node24)
      NODE_FLAGS=("${V8_FLAGS[@]}")
      # The whole suite, but not on the Citus cluster: the machine's Node ran those suites against
      # it already, and they would add a quarter of an hour of a two-core machine to check the
      # runtime, not the cluster.
      CHEAP_TEST_CITUS_URL= node_run "node 24" "$NODE24" $(scripts/test-files.sh)
      ;;
    node22)
      NODE_FLAGS=("${V8_FLAGS[@]}")
      node_run "node 22" "$NODE22" "${CHECKS[@]}"
      ;;
    bun) bun_run ;;
    deno) deno_run ;;
    *) echo "unknown runtime $runtime (node24, node22, bun, deno)" >&2; exit 2 ;;
  esac
done

echo
# CI keeps only the tail of the output: repeat each runtime's failures (node:test's own
# "failing tests" section, bun's and deno's error lines) here, where the tail holds them.
for log in "$LOGS"/*.txt; do
  [ -e "$log" ] && [ "$(basename "$log")" != demo.txt ] || continue
  failures=$(sed -n '/^✖ failing tests:/,$p' "$log" | head -80)
  [ -z "$failures" ] && failures=$(grep -E -A12 '^\(fail\)|^ERRORS|=> .*error' "$log" | head -80)
  if [ -n "$failures" ]; then
    echo "== failures on $(basename "$log" .txt):"
    echo "$failures"
  fi
done
echo
echo "== runtimes summary (node $(node --version) ran the whole suite above, in npm test)"
printf '%s\n' "${SUMMARY[@]}"
exit $FAILED
