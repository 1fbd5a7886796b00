# Sourced by scripts/test and scripts/prodlike: finds (or starts) the local
# PostgreSQL and Redis the way the README says, and a PostgreSQL role that can
# log in over TCP. Each function prints one line naming what is missing.
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
url_host() { python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname or "127.0.0.1")' "$1"; }
url_port() { python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.port or int(sys.argv[2]))' "$1" "$2"; }

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

# --- PostgreSQL ---------------------------------------------------------------
start_postgres() {
  pg_host=$(url_host "$DATABASE_URL"); pg_port=$(url_port "$DATABASE_URL" 5432)
  if ! port_open "$pg_host" "$pg_port"; then
    if is_local "$pg_host" && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      echo "Starting the local PostgreSQL ..."
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
      for _ in $(seq 1 30); do port_open "$pg_host" "$pg_port" && break; sleep 1; done
    elif is_local "$pg_host"; then
      echo "error: PostgreSQL is not installed; install it (Debian/Ubuntu: sudo apt install postgresql) or set DATABASE_URL" >&2
      return 1
    fi
    port_open "$pg_host" "$pg_port" || { echo "error: PostgreSQL at $pg_host:$pg_port does not answer; start it or set DATABASE_URL" >&2; return 1; }
  fi
}

# --- Redis --------------------------------------------------------------------
start_redis() {
  rd_host=$(url_host "$REDIS_URL"); rd_port=$(url_port "$REDIS_URL" 6379)
  if ! port_open "$rd_host" "$rd_port"; then
    if is_local "$rd_host" && command -v redis-server >/dev/null 2>&1; then
      echo "Starting the local Redis ..."
      redis-server --daemonize yes --bind 127.0.0.1 --port "$rd_port" --save "" --appendonly no >/dev/null
      for _ in $(seq 1 20); do port_open "$rd_host" "$rd_port" && break; sleep 0.5; done
    elif is_local "$rd_host"; then
      echo "error: Redis is not installed; install it (Debian/Ubuntu: sudo apt install redis-server) or set REDIS_URL" >&2
      return 1
    fi
    port_open "$rd_host" "$rd_port" || { echo "error: Redis at $rd_host:$rd_port does not answer; start it or set REDIS_URL" >&2; return 1; }
  fi
}

# --- A PostgreSQL role that can log in over TCP -------------------------------------
postgres_login() {
  if ! .venv/bin/python -c 'import os, psycopg; psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()' 2>/dev/null
  then
    if is_local "$pg_host" && id postgres >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then
      echo "Creating the PostgreSQL role portal_test through the postgres system user ..."
      runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -c \
        "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='portal_test') THEN CREATE ROLE portal_test LOGIN CREATEDB PASSWORD 'portal_test'; END IF; END\$\$;" \
        || { echo "error: could not create a PostgreSQL role; set DATABASE_URL to a role that can create databases" >&2; return 1; }
      export DATABASE_URL="postgres://portal_test:portal_test@$pg_host:$pg_port/portal"
    else
      echo "error: cannot log in to PostgreSQL with DATABASE_URL; set DATABASE_URL to a role that can create databases" >&2
      return 1
    fi
  fi
}

# The server running and a role that logs in (needs .venv: psycopg).
ensure_postgres() { start_postgres && postgres_login; }
