#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks (issue 21): initdb
# in a new temporary directory, the server on a free loopback port, one
# database, and nothing left behind when stopped. Nothing is assumed to be
# running; PostgreSQL comes from Debian's packages (installed here when
# missing and running as root).
#
#   eval "$(scripts/pg-cluster.sh start)"   prints GRIDWORK_PG_URL, GRIDWORK_PG_DIR
#   scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"
#   eval "$(scripts/pg-cluster.sh standby "$GRIDWORK_PG_DIR")"
#                                           a streaming standby of that cluster
#                                           (pg_basebackup), synchronous: every
#                                           commit on the primary waits for it;
#                                           prints GRIDWORK_STANDBY_URL, _DIR
#   scripts/pg-cluster.sh promote DIR       the standby becomes a primary
#
# The server refuses to run as root, so as root the cluster belongs to the
# `postgres` user (made by the package). Its settings are for tests, not
# for keeping data: fsync stays on so benchmarks pay what production pays.
set -euo pipefail

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin
  if ! bin=$(pg_bin); then
    if [ "$(id -u)" = 0 ]; then
      echo "installing postgresql (Debian)" >&2
      apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends postgresql >&2
      bin=$(pg_bin)
    else
      echo "pg-cluster: PostgreSQL is not installed (apt-get install postgresql)" >&2
      exit 1
    fi
  fi
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwork-pg.XXXXXX")
  chmod 755 "$dir"
  mkdir "$dir/data" "$dir/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U gridwork --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=200" start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U gridwork gridwork
  echo "$bin" >"$dir/bin"
  echo "$port" >"$dir/port"
  echo "export GRIDWORK_PG_URL=postgres://gridwork@127.0.0.1:$port/gridwork GRIDWORK_PG_DIR=$dir"
}

# A standby of the cluster in $1, streaming from it, and made synchronous:
# from now on the primary answers a commit only once the standby has it.
standby() {
  local primary=${1:?usage: pg-cluster.sh standby PRIMARY_DIR} dir port bin primary_port
  bin=$(cat "$primary/bin")
  primary_port=$(cat "$primary/port")
  dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwork-pg.XXXXXX")
  chmod 755 "$dir"
  mkdir "$dir/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
  # -R: standby.signal and the primary's address in its settings. Its
  # name on the primary (for synchronous_standby_names) is cluster_name.
  as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U gridwork -D "$dir/data" -R -X stream \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  port=$(free_port)
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=200 -c cluster_name=standby" \
    start >&2 || { cat "$dir/server.log" >&2; exit 1; }
  "$bin/psql" -q -h 127.0.0.1 -p "$primary_port" -U gridwork gridwork \
    -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" -c "SELECT pg_reload_conf()" >/dev/null
  echo "$bin" >"$dir/bin"
  echo "$port" >"$dir/port"
  echo "export GRIDWORK_STANDBY_URL=postgres://gridwork@127.0.0.1:$port/gridwork GRIDWORK_STANDBY_DIR=$dir"
}

promote() {
  local dir=${1:?usage: pg-cluster.sh promote DIR}
  as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -w -t 60 promote >&2
}

stop() {
  local dir=${1:?usage: pg-cluster.sh stop DIR}
  [ -d "$dir/data" ] || return 0
  as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf --one-file-system "$dir"
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-}" ;;
  standby) standby "${2:-}" ;;
  promote) promote "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR | standby PRIMARY_DIR | promote DIR" >&2; exit 2 ;;
esac
