#!/bin/sh
# `npm test` after the typecheck and lint: every test file (scripts/test-files.sh), two at a time
# (one per core). CHEAP_TEST_PGLITE_TEMPLATE names a file, private to this run, where the first
# test file that opens an embedded test database leaves PGlite's data directory with the schema
# created, for every later file to load instead of paying initdb again (test/db/backends.ts).
cd "$(dirname "$0")/.." || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/cheap-test-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
export TZ=UTC CHEAP_TEST_PGLITE_TEMPLATE="$dir/pglite-template.tar"
node --import tsx --test --test-concurrency=2 --test-timeout=600000 "$@" $(scripts/test-files.sh)
