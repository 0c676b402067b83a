#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 and has the test database.
# The machines normally run one with trust auth; when none runs, install and start it.
set -euo pipefail
host=127.0.0.1
port=5432
db=${CALLCENTER_TEST_PG_DB:-callcenter_test}

if ! pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "ensure-postgres: starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h "$host" -p "$port" && break
    sleep 1
  done
fi
pg_isready -h "$host" -p "$port"

# The postgres role gets a known password so that md5/scram auth works as well as trust.
psql_admin() {
  if psql -h "$host" -p "$port" -U postgres -d postgres -c "select 1" >/dev/null 2>&1; then
    psql -v ON_ERROR_STOP=1 -q -h "$host" -p "$port" -U postgres -d postgres "$@"
  else
    su postgres -c "psql -v ON_ERROR_STOP=1 -q -d postgres $(printf '%q ' "$@")"
  fi
}
PGPASSWORD=postgres
export PGPASSWORD
psql_admin -c "ALTER ROLE postgres PASSWORD 'postgres'"
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $db"
fi
echo "ensure-postgres: database $db ready on $host:$port"
