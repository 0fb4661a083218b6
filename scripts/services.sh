#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis servers for tests and local work, on free loopback ports.
#
#   scripts/services.sh start [postgres|redis|all]   start (or reuse) them; prints `export` lines
#   scripts/services.sh stop  [postgres|redis|all]   stop them and delete their data
#   scripts/services.sh status                       say what runs, and where
#
# `start` prints only shell `export NAME=VALUE` lines on standard output (messages go to
# standard error), so a caller can `eval "$(scripts/services.sh start)"`. The same lines are
# kept in .services/env. Variables:
#   PQA_SERVICES_PG_URL     postgres://app@127.0.0.1:PORT/pqa   (user `app`, trust auth, loopback only)
#   PQA_SERVICES_REDIS_URL  redis://127.0.0.1:PORT/0
#
# Nothing is persisted: Redis runs with no snapshots or AOF, and `stop` deletes the cluster.
# As root, initdb and pg_ctl run as the `postgres` user on a data directory under /tmp that it
# owns (PostgreSQL refuses to run as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PQA_SERVICES_DIR:-$ROOT/.services}"
PG_BIN="${PQA_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_USER_DB="app"
PG_DB_NAME="pqa"

log() { echo "services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

free_port() {
    # A port the kernel just handed out and released: free now, and unlikely to be taken
    # again in the second before the server binds it.
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

as_pg_owner() {
    # Run a PostgreSQL server binary as the owner of the cluster.
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# --- PostgreSQL -------------------------------------------------------------

pg_running() {
    [[ -f "$STATE/postgres.datadir" ]] || return 1
    local datadir
    datadir="$(cat "$STATE/postgres.datadir")"
    [[ -f "$datadir/postmaster.pid" ]] && alive "$(head -1 "$datadir/postmaster.pid")"
}

pg_url() { echo "postgres://$PG_USER_DB@127.0.0.1:$(cat "$STATE/postgres.port")/$PG_DB_NAME"; }

pg_start() {
    if pg_running; then
        log "PostgreSQL already running on port $(cat "$STATE/postgres.port")"
        return 0
    fi
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 is not installed ($PG_BIN/initdb missing): run scripts/install-system-deps.sh as root"
    pg_stop quiet
    local base port
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' user: is the postgresql package installed?"
        base="$(mktemp -d /tmp/pqa-pg.XXXXXX)"
        chown postgres: "$base"
    else
        base="$STATE/pg"
        mkdir -p "$base"
    fi
    chmod 700 "$base"
    echo "$base/data" >"$STATE/postgres.datadir"
    echo "$base" >"$STATE/postgres.base"
    as_pg_owner "$PG_BIN/initdb" -D "$base/data" -U "$PG_USER_DB" --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$STATE/postgres-initdb.log" 2>&1 || { cat "$STATE/postgres-initdb.log" >&2; die "initdb failed"; }
    port="$(free_port)"
    echo "$port" >"$STATE/postgres.port"
    # fsync off and friends: a throwaway test cluster, never for data anyone keeps.
    as_pg_owner "$PG_BIN/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 60 \
        -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >&2 || { cat "$base/server.log" >&2 || true; die "PostgreSQL did not start"; }
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER_DB" "$PG_DB_NAME" >&2 2>&1 \
        || die "createdb $PG_DB_NAME failed"
    log "PostgreSQL 15 on 127.0.0.1:$port (data in $base/data)"
}

pg_stop() {
    local quiet="${1:-}"
    if [[ -f "$STATE/postgres.datadir" ]]; then
        local datadir base
        datadir="$(cat "$STATE/postgres.datadir")"
        base="$(cat "$STATE/postgres.base" 2>/dev/null || dirname "$datadir")"
        if [[ -f "$datadir/postmaster.pid" ]] && alive "$(head -1 "$datadir/postmaster.pid")"; then
            as_pg_owner "$PG_BIN/pg_ctl" -D "$datadir" -m immediate -w -t 30 stop >/dev/null 2>&1 \
                || kill -9 "$(head -1 "$datadir/postmaster.pid")" 2>/dev/null || true
            [[ -n "$quiet" ]] || log "PostgreSQL stopped"
        fi
        # Only ever delete what this script created.
        case "$base" in
            /tmp/pqa-pg.*|"$STATE"/pg) rm -rf "$base" ;;
        esac
    fi
    rm -f "$STATE/postgres.datadir" "$STATE/postgres.base" "$STATE/postgres.port" "$STATE/postgres-initdb.log"
}

# --- Redis ------------------------------------------------------------------

redis_running() { [[ -f "$STATE/redis.pid" ]] && alive "$(cat "$STATE/redis.pid")"; }

redis_url() { echo "redis://127.0.0.1:$(cat "$STATE/redis.port")/0"; }

redis_start() {
    if redis_running; then
        log "Redis already running on port $(cat "$STATE/redis.port")"
        return 0
    fi
    command -v redis-server >/dev/null || die "redis-server is not installed: run scripts/install-system-deps.sh as root"
    redis_stop quiet
    local port
    port="$(free_port)"
    echo "$port" >"$STATE/redis.port"
    mkdir -p "$STATE/redis"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$STATE/redis.pid" \
        --dir "$STATE/redis" --logfile "$STATE/redis.log" --save "" --appendonly no >&2
    local i
    for i in $(seq 1 100); do
        if redis-cli -p "$port" ping >/dev/null 2>&1; then
            log "Redis on 127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    cat "$STATE/redis.log" >&2 || true
    die "Redis did not answer on port $port"
}

redis_stop() {
    local quiet="${1:-}"
    if redis_running; then
        local pid i
        pid="$(cat "$STATE/redis.pid")"
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -9 "$pid" 2>/dev/null || true
        [[ -n "$quiet" ]] || log "Redis stopped"
    fi
    rm -rf "$STATE/redis.pid" "$STATE/redis.port" "$STATE/redis"
}

# --- commands ---------------------------------------------------------------

print_env() {
    : >"$STATE/env"
    if pg_running; then echo "export PQA_SERVICES_PG_URL=$(pg_url)" | tee -a "$STATE/env"; fi
    if redis_running; then echo "export PQA_SERVICES_REDIS_URL=$(redis_url)" | tee -a "$STATE/env"; fi
}

command="${1:-status}"
which="${2:-all}"
case "$which" in postgres|redis|all) ;; *) die "unknown service '$which' (postgres, redis or all)" ;; esac
mkdir -p "$STATE"

case "$command" in
    start)
        [[ "$which" == redis ]] || pg_start
        [[ "$which" == postgres ]] || redis_start
        print_env
        ;;
    stop)
        [[ "$which" == redis ]] || pg_stop
        [[ "$which" == postgres ]] || redis_stop
        if [[ -f "$STATE/env" ]]; then print_env >/dev/null; fi
        ;;
    status)
        if pg_running; then log "PostgreSQL: running, $(pg_url)"; else log "PostgreSQL: stopped"; fi
        if redis_running; then log "Redis: running, $(redis_url)"; else log "Redis: stopped"; fi
        print_env
        ;;
    *)
        die "usage: $0 start|stop|status [postgres|redis|all]"
        ;;
esac
