#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the tests (no fsync, trust auth, its own
# socket directory). Debian's PostgreSQL refuses to run as root, so as root the cluster
# runs as the `postgres` user the package creates.
#   test/setup/postgres.sh start DIR PORT   prints the admin URL once the server accepts connections
#   test/setup/postgres.sh stop DIR
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if ((EUID == 0)); then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

case "${1:-}" in
start)
  dir=$2 port=$3
  mkdir -p "$dir"
  ((EUID == 0)) && chown postgres "$dir"
  as_owner "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync >'$dir/initdb.log'"
  as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start >/dev/null"
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  dir=$2
  as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" || true
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
  ;;
esac
