#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, run as a non-root user (PostgreSQL refuses root).
# Prints the admin URL the tests take as SKM_TEST_POSTGRES_URL. Usage: scripts/pg_test_cluster.sh [DIR]
set -euo pipefail
PORT=${SKM_PG_PORT:-55432}
DIR=${1:-/tmp/skm-test-pg}
URL="postgresql+psycopg://skm@127.0.0.1:${PORT}/postgres"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "$URL"
  exit 0
fi
RUN=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
  RUN=(runuser -u postgres --)
fi
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
"${RUN[@]}" "$PGBIN/initdb" -D "$DIR/data" -U skm --auth=trust -E UTF8 >/dev/null
# Throw-away: no fsync. Durability is tested on the kiosk's SQLite, not here.
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
echo "$URL"
