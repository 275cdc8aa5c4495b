#!/usr/bin/env bash
# `npm test`: sets up everything the tests need on a Debian machine, runs every suite, and ends
# with the line "N passed, N failed, N skipped" (CI reads it); exits non-zero when a test
# failed or none ran. Steps:
#   1. the Debian packages in test/setup/debian-packages.txt (apt-get, only when one is missing);
#   2. the pinned Claude Code CLI, into a cache directory outside the package; its binary's
#      path goes to the tests in CLAUDE_COMMS_TEST_CLAUDE;
#   3. dist/, built only when a source is newer (test/setup/fresh-dist.mjs);
#   4. every suite on SQLite, then the store, watch and replica suites against a throwaway
#      PostgreSQL cluster, stopped on any exit.
# These scripts live under test/ because they are the tests' own setup, run by `npm test` on
# any machine; .ci/run only adds CI's checks around this one command.
set -euo pipefail
cd "$(dirname "$0")/../.."
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
setup=test/setup
# The suites that read or write the store, run a second time against PostgreSQL.
POSTGRES_SUITES=(test/postgres test/daemon.test.ts test/watch-many.test.ts test/watch-snapshots.test.ts test/bad-input.test.ts
  test/ask.test.ts test/wire-grpc-js.test.ts test/cli-e2e.test.ts)

if (($#)); then
  echo "npm test runs every suite and takes no arguments; for one file: npx vitest run test/FILE.test.ts" >&2
  exit 2
fi
step() { printf '\n== %s\n' "$*"; }

step "Debian packages ($setup/debian-packages.txt)"
bash "$setup/debian.sh" "$setup/debian-packages.txt"

step "Claude Code CLI ($setup/claude-code.sh)"
CLAUDE_COMMS_TEST_CLAUDE=$(bash "$setup/claude-code.sh")
export CLAUDE_COMMS_TEST_CLAUDE
echo "CLAUDE_COMMS_TEST_CLAUDE=$CLAUDE_COMMS_TEST_CLAUDE"

step "dist/ up to date"
node "$setup/fresh-dist.mjs"

reports=$(mktemp -d)
pgdir=""
stop_postgres() {
  [[ -z "$pgdir" ]] && return 0
  bash "$setup/postgres.sh" stop "$pgdir"
  rm -rf "$pgdir"
  pgdir=""
}
trap 'stop_postgres; rm -rf "$reports"' EXIT
trap 'exit 130' INT TERM
run_vitest() { node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$reports/$1.json" "${@:2}"; }

status=0
step "every suite, SQLite store"
run_vitest sqlite || status=$?

step "store, watch and replica suites against PostgreSQL (a throwaway cluster)"
pgdir=$(mktemp -d /tmp/cc-pg.XXXXXX)
pgport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
pgurl=$(bash "$setup/postgres.sh" start "$pgdir" "$pgport")
CLAUDE_COMMS_TEST_PG=$pgurl run_vitest postgres "${POSTGRES_SUITES[@]}" || status=$?
stop_postgres

node "$setup/counts.mjs" "$reports/sqlite.json" "$reports/postgres.json" || status=1
exit "$status"
