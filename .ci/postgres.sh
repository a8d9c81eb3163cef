#!/usr/bin/env bash
# A throwaway PostgreSQL on 127.0.0.1 for the ledger tests. Prints ONE line on stdout:
#   export PUTWHEEL_TEST_PG_URL=postgresql+psycopg2://putwheel:putwheel@127.0.0.1:PORT/putwheel
# so callers can `eval "$(bash .ci/postgres.sh)"`. Everything else goes to stderr.
# Idempotent: a cluster already running in $PGDIR is reused. Stop it with:
#   su postgres -c "pg_ctl -D $PGDIR stop"   (PGDIR defaults to /tmp/putwheel-pg)
set -euo pipefail
PGDIR="${PUTWHEEL_PG_DIR:-/tmp/putwheel-pg}"
PGPORT="${PUTWHEEL_PG_PORT:-54329}"
log() { echo "postgres.sh: $*" >&2; }

# Root runs the server as 'postgres'; a non-root user with sudo does the same; without sudo (a developer
# machine where the binaries are already installed) the current user owns and runs the cluster itself.
SELF=0
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then SELF=1; fi
as_root() { if [ "$(id -u)" = 0 ] || [ "$SELF" = 1 ]; then "$@"; else sudo "$@"; fi; }

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

if [ -z "$(bindir)" ]; then
  log "installing Debian's postgresql"
  as_root apt-get update >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y postgresql >&2
fi
BIN="$(bindir)"
[ -n "$BIN" ] || { log "postgresql binaries not found after install"; exit 1; }
[ "$SELF" = 1 ] || id postgres >/dev/null 2>&1 || { log "no 'postgres' system user"; exit 1; }

run_pg() {
  if [ "$SELF" = 1 ] || [ "$(id -un)" = postgres ]; then "$@"
  else as_root su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; fi
}

if [ ! -f "$PGDIR/PG_VERSION" ]; then
  as_root mkdir -p "$PGDIR"
  [ "$SELF" = 1 ] || as_root chown postgres: "$PGDIR"
  as_root chmod 700 "$PGDIR"
  log "initdb into $PGDIR"
  run_pg "$BIN/initdb" -D "$PGDIR" -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >&2
fi

if ! run_pg "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PGPORT"
  run_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off" start >&2
fi

psql_pg() { run_pg "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname='putwheel'")" != 1 ]; then
  psql_pg -c "CREATE ROLE putwheel LOGIN PASSWORD 'putwheel'" >&2
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname='putwheel'")" != 1 ]; then
  psql_pg -c "CREATE DATABASE putwheel OWNER putwheel" >&2
fi
log "ready"
echo "export PUTWHEEL_TEST_PG_URL=postgresql+psycopg2://putwheel:putwheel@127.0.0.1:${PGPORT}/putwheel"
