#!/usr/bin/env bash
# Starts a local PostgreSQL for the registry tests (src/registry/*postgres*_test.ts): Debian's
# postgresql, one cluster on 127.0.0.1:5432, role mmml / password mmml, database mmml_test. Idempotent:
# a second run finds everything in place. Exports nothing; tests read MMML_TEST_POSTGRES_URL and
# default to postgres://mmml:mmml@127.0.0.1:5432/mmml_test, skipping with the reason when it is down.
set -euo pipefail

log() { echo "setup_postgres: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

# The newest installed major version; Debian's package creates its "main" cluster on install.
ver=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating cluster $ver/main"
  pg_createcluster "$ver" main --port 5432 >&2
fi

# Listen on loopback only; fsync stays on so crash tests see real durability.
conf_dir="/etc/postgresql/$ver/main"
if ! grep -q "^listen_addresses = '127.0.0.1'" "$conf_dir/postgresql.conf"; then
  echo "listen_addresses = '127.0.0.1'" >>"$conf_dir/postgresql.conf"
fi

if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting cluster $ver/main"
  pg_ctlcluster "$ver" main start >&2
fi

# Wait until it accepts connections (a fresh start replays WAL first).
for _ in $(seq 1 60); do
  if su postgres -c "psql -h 127.0.0.1 -p 5432 -tAc 'select 1'" >/dev/null 2>&1 ||
    su postgres -c "psql -p 5432 -tAc 'select 1'" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done

psql_admin() { su postgres -c "psql -p 5432 -v ON_ERROR_STOP=1 -tAc \"$1\""; }

if [ "$(psql_admin "select 1 from pg_roles where rolname = 'mmml'")" != "1" ]; then
  log "creating role mmml"
  psql_admin "create role mmml login password 'mmml'" >&2
fi
if [ "$(psql_admin "select 1 from pg_database where datname = 'mmml_test'")" != "1" ]; then
  log "creating database mmml_test"
  psql_admin "create database mmml_test owner mmml" >&2
fi
log "ready on 127.0.0.1:5432 (database mmml_test, role mmml)"
