#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (never for real data: trust auth, fsync off).
#
#   bash scripts/postgres.sh start <data-dir> <port> [database]   # idempotent; prints a connection line
#   bash scripts/postgres.sh stop  <data-dir>                     # idempotent
#   bash scripts/postgres.sh purge <data-dir>                     # stop and delete the data dir
#
# Installs Debian's postgresql package when no pg_ctl is found (needs root). Listens on 127.0.0.1:<port>
# only, no Unix socket; the superuser is "postgres" with trust auth. Run as root, the server runs as the
# "postgres" OS user (initdb refuses root); run as anyone else, it runs as that user.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bin() {
  local ctl
  ctl="$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$ctl" ] && dirname "$ctl"
}

ensure_installed() {
  [ -n "$(pg_bin)" ] && return 0
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl) and we are not root to install it"
  # Two test workers may get here at once; apt holds its own lock, this one makes the second wait, then skip.
  exec 8>/tmp/post-visit-postgres-install.lock
  flock 8
  if [ -z "$(pg_bin)" ]; then
    echo "postgres.sh: installing postgresql (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed"
  fi
  flock -u 8
  [ -n "$(pg_bin)" ] || die "postgresql installed but no pg_ctl found under /usr/lib/postgresql"
}

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running_port() { # prints the port of the server running on <dir>, if any
  local dir="$1"
  if as_server_user "$BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then sed -n 4p "$dir/postmaster.pid"; fi
}

start() {
  local dir="$1" port="$2" database="${3:-post_visit_test}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number"
  [[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database must be a lower-case identifier"
  ensure_installed
  BIN="$(pg_bin)"
  mkdir -p "$dir"
  exec 9>"$dir.lock"
  flock 9
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -s "$dir/PG_VERSION" ]; then
    as_server_user "$BIN/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir.initdb.log" 2>&1 \
      || die "initdb failed, see $dir.initdb.log"
    cat >>"$dir/postgresql.conf" <<'CONF'
# throwaway test cluster (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  local current
  current="$(running_port "$dir")"
  if [ -n "$current" ] && [ "$current" != "$port" ]; then
    as_server_user "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    current=""
  fi
  if [ -z "$current" ]; then
    as_server_user "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 -o "-p $port" start >/dev/null \
      || die "the server did not start, see $dir/server.log"
  fi
  local exists
  exists="$("$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'")"
  if [ "$exists" != "1" ]; then
    "$BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
  fi
  flock -u 9
  echo "host=127.0.0.1 port=$port user=postgres database=$database"
}

stop() {
  local dir="$1"
  BIN="$(pg_bin)"
  [ -n "$BIN" ] || return 0
  [ -f "$dir/PG_VERSION" ] || return 0
  if [ -n "$(running_port "$dir")" ]; then as_server_user "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null; fi
}

command="${1:-}"
case "$command" in
  start) [ $# -ge 3 ] || die "usage: $0 start <data-dir> <port> [database]"; start "$(realpath -m "$2")" "$3" "${4:-}" ;;
  stop) [ $# -ge 2 ] || die "usage: $0 stop <data-dir>"; stop "$(realpath -m "$2")" ;;
  purge)
    [ $# -ge 2 ] || die "usage: $0 purge <data-dir>"
    dir="$(realpath -m "$2")"
    stop "$dir"
    rm -rf "$dir" "$dir.lock" "$dir.initdb.log"
    ;;
  *) die "usage: $0 start <data-dir> <port> [database] | stop <data-dir> | purge <data-dir>" ;;
esac
