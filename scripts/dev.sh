#!/usr/bin/env bash
# Set up StepFree on a Debian/Ubuntu machine and run it or its tests.
#   scripts/dev.sh run    serve StepFree on http://127.0.0.1:5000 (private PostGIS cluster unless DATABASE_URL)
#   scripts/dev.sh test   run the whole test suite on a throwaway database
#   scripts/dev.sh setup  only install and prepare; prints the environment to use
# Every step checks before it acts, so a second run is fast and loses nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV="$ROOT/.venv"
PGDATA_DIR="$ROOT/.pgdata"
PG_MAJOR=${PG_MAJOR:-15}
REDIS_DIR="$ROOT/.redis"
APT_PACKAGES=(postgresql-$PG_MAJOR postgresql-$PG_MAJOR-postgis-3 gdal-bin osmium-tool redis-server chromium nodejs npm make)

log() { printf '\033[1m[stepfree]\033[0m %s\n' "$*" >&2; }
die() { printf '[stepfree] error: %s\n' "$*" >&2; exit 1; }

ensure_system_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    # Node may come from another source than Debian's packages; accept any working node and npm.
    if command -v node >/dev/null && command -v npm >/dev/null; then
        missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
    fi
    command -v make >/dev/null && missing=("${missing[@]/make}")
    local wanted=()
    for pkg in "${missing[@]}"; do [ -n "$pkg" ] && wanted+=("$pkg"); done
    [ ${#wanted[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing system packages. Run as root: apt-get update && apt-get install -y ${wanted[*]}"
    fi
    log "installing system packages: ${wanted[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${wanted[@]}" >/dev/null
}

ensure_venv() {
    # The exact versions and hashes of requirements.lock, then the project itself without resolving again,
    # so every machine runs the same packages (README, "Dependencies", says how to update the lock).
    local stamp="$VENV/.stepfree-installed"
    local want
    want=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    log "installing Python packages from requirements.lock into .venv"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --require-hashes -r requirements.lock
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
    echo "$want" > "$stamp"
}

ensure_frontend() {
    local stamp="node_modules/.stepfree-installed"
    local want
    want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        log "installing front-end packages from npm"
        if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
        echo "$want" > "$stamp"
    fi
    # The app serves third-party files from static/vendor (ignored by git), copied from node_modules.
    mkdir -p static/vendor/leaflet static/vendor/chart.js
    cp -r node_modules/leaflet/dist/. static/vendor/leaflet/
    cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chart.js/
}

pg_bin() { echo "/usr/lib/postgresql/$PG_MAJOR/bin/$1"; }

# Run a PostgreSQL server binary as the postgres user when we are root: the server refuses to run as root.
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

private_cluster_port() {
    # A port derived from the checkout's path, so two clones on one machine never collide.
    echo $(( 54000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 900 ))
}

ensure_private_cluster() {
    local port; port=$(private_cluster_port)
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        log "creating a private PostgreSQL cluster in .pgdata (port $port)"
        mkdir -p "$PGDATA_DIR"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$PGDATA_DIR"
            runuser -u postgres -- test -w "$PGDATA_DIR" \
                || die "the postgres user cannot write $PGDATA_DIR: give it access to the checkout's folders, or set DATABASE_URL"
        fi
        as_pg_owner "$(pg_bin initdb)" -D "$PGDATA_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_connections = 200
CONF
    fi
    if ! as_pg_owner "$(pg_bin pg_ctl)" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        log "starting the private PostgreSQL cluster"
        as_pg_owner "$(pg_bin pg_ctl)" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 start >/dev/null \
            || die "PostgreSQL did not start; see .pgdata/server.log"
    fi
    PG_SERVER_URL="postgresql+psycopg://postgres@127.0.0.1:$port"
}

private_redis_port() {
    echo $(( 56400 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 900 ))
}

ensure_private_redis() {
    # Rate limits and sign-in throttles must be counted in one place for all gunicorn workers: a private
    # Redis (in memory only; its counters expire by themselves), unless RATELIMIT_STORAGE_URI names one.
    local port; port=$(private_redis_port)
    if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        log "starting a private Redis for rate limits (port $port)"
        mkdir -p "$REDIS_DIR"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
            --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid" >/dev/null
        for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
        redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 || die "Redis did not start; see .redis/redis.log"
    fi
    PRIVATE_REDIS_URL="redis://127.0.0.1:$port"
}

ensure_database() {
    # Create the database named in DATABASE_URL if it is missing, with PostGIS.
    "$VENV/bin/python" -m app.dbadmin ensure "$DATABASE_URL"
}

main() {
    local cmd=${1:-run}
    ensure_system_packages
    ensure_venv
    ensure_frontend
    if [ -z "${DATABASE_URL:-}" ]; then
        ensure_private_cluster
        export DATABASE_URL="$PG_SERVER_URL/stepfree"
    fi
    if [ -z "${RATELIMIT_STORAGE_URI:-}" ]; then
        ensure_private_redis
        export RATELIMIT_STORAGE_URI="$PRIVATE_REDIS_URL/0"
    fi
    export FLASK_APP=app:create_app
    export SECRET_KEY=${SECRET_KEY:-$("$VENV/bin/python" -m app.dbadmin secret "$ROOT/.stepfree-secret")}
    case "$cmd" in
        run)
            ensure_database
            "$VENV/bin/flask" db-upgrade
            # Real places: the Liechtenstein OSM extract beside the checkout (STEPFREE_DEMO_OSM names another);
            # without it, demo load falls back to a small made-up set.
            "$VENV/bin/flask" demo load --osm "${STEPFREE_DEMO_OSM:-$ROOT/../shared/data/osm/liechtenstein-2013-08-03.osm.pbf}"
            "$VENV/bin/flask" users ensure-admin --credentials-file "$ROOT/.stepfree-admin"
            log "serving StepFree on http://${GUNICORN_BIND:-127.0.0.1:5000} (Ctrl-C to stop)"
            # Workers, threads, pool sizes and timeouts: app/gunicorn_conf.py (GUNICORN_BIND overrides the address).
            exec "$VENV/bin/gunicorn" -c python:app.gunicorn_conf "app:create_app()"
            ;;
        test)
            shift || true
            # The tests make their own throwaway database on this server and drop it afterwards.
            export STEPFREE_TEST_SERVER_URL=${DATABASE_URL%/*}
            export STEPFREE_TEST_REDIS_URL=${STEPFREE_TEST_REDIS_URL:-${PRIVATE_REDIS_URL:-redis://127.0.0.1:6379}/15}
            exec "$VENV/bin/pytest" "$@"
            ;;
        setup)
            ensure_database
            "$VENV/bin/flask" db-upgrade >&2
            # The environment on stdout, for eval "$(bash scripts/dev.sh setup)"; what to do next on stderr.
            printf 'export %s=%q\n' FLASK_APP "$FLASK_APP" DATABASE_URL "$DATABASE_URL" \
                RATELIMIT_STORAGE_URI "$RATELIMIT_STORAGE_URI"
            # The secret stays in its file (unless SECRET_KEY came from you): the line reads it when evaluated.
            if [ -f "$ROOT/.stepfree-secret" ]; then printf 'export SECRET_KEY="$(cat %q)"\n' "$ROOT/.stepfree-secret"; fi
            log "ready. With these variables exported (eval \"\$(bash scripts/dev.sh setup)\"):"
            log "  load demo data:    .venv/bin/flask demo load --osm ../shared/data/osm/liechtenstein-2013-08-03.osm.pbf"
            log "  create the admin:  .venv/bin/flask users ensure-admin --credentials-file .stepfree-admin"
            log "  or just serve:     make run   (does both)"
            ;;
        *) die "unknown command '$cmd' (use run, test or setup)" ;;
    esac
}

main "$@"
