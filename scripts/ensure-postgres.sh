#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for tests/pg, and print the URL the tests should use.
# Sourced environment: LEADDESK_TEST_PG_URL (default: trust auth on 127.0.0.1:5432, user postgres).
# Order: already answering → a Debian cluster on that port (pg_ctlcluster start) → install the
# postgresql package when no server binaries exist (apt) → a throwaway cluster with trust auth
# under .pgdata/ (initdb + pg_ctl). Exits non-zero — CI fails, never skips — if none answers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
URL="${LEADDESK_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
read -r HOST PORT < <("$PY" -c "import sqlalchemy as sa, sys; u = sa.engine.make_url(sys.argv[1]); print(u.host or '127.0.0.1', u.port or 5432)" "$URL")
SUDO=""; [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && SUDO="sudo"

answers() {  # $1: URL
  "$PY" - "$1" <<'PYEOF' 2>/dev/null
import sys
import psycopg
import sqlalchemy as sa
url = sa.engine.make_url(sys.argv[1]).set(drivername='postgresql').render_as_string(hide_password=False)
psycopg.connect(url, connect_timeout=3).close()
PYEOF
}

wait_for() {  # $1: URL; up to 30 s
  for _ in $(seq 60); do answers "$1" && return 0; sleep 0.5; done
  return 1
}

say() { echo "ensure-postgres: $*" >&2; }

if answers "$URL"; then echo "$URL"; exit 0; fi
case "$HOST" in 127.0.0.1|localhost|::1) ;; *) say "no server answers at $HOST:$PORT (not local: not starting one)"; exit 1;; esac

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ] && command -v apt-get >/dev/null; then
  say "installing PostgreSQL (apt)"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# A packaged cluster on this port: start it; it may want a password over TCP, so set one.
if command -v pg_lsclusters >/dev/null; then
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p {print $1" "$2; exit}')"
  if [ -n "$cluster" ]; then
    say "starting cluster $cluster"
    # shellcheck disable=SC2086
    $SUDO pg_ctlcluster $cluster start || true
    if wait_for "$URL"; then echo "$URL"; exit 0; fi
    if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
      $SUDO runuser -u postgres -- psql -q -p "$PORT" -c "ALTER USER postgres PASSWORD 'leaddesk-test'" >/dev/null 2>&1 || true
      WITH_PW="$("$PY" -c "import sqlalchemy as sa, sys; print(sa.engine.make_url(sys.argv[1]).set(password='leaddesk-test').render_as_string(hide_password=False))" "$URL")"
      if wait_for "$WITH_PW"; then echo "$WITH_PW"; exit 0; fi
    fi
  fi
fi

# A throwaway cluster with trust auth, owned by the postgres user when run as root.
BIN="$(bindir)"
if [ -n "$BIN" ]; then
  DATA="$ROOT/.pgdata/$PORT"
  AS=()
  if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a throwaway cluster in $DATA"
    mkdir -p "$DATA"; [ "$(id -u)" = 0 ] && chown -R postgres "$ROOT/.pgdata"
    "${AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres -A trust >/dev/null
  fi
  "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 30 \
    -o "-p $PORT -k /tmp -c listen_addresses=$HOST -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || true
  if wait_for "$URL"; then echo "$URL"; exit 0; fi
fi
say "no PostgreSQL server answers at $URL and none could be started"
exit 1
