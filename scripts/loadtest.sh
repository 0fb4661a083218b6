#!/usr/bin/env bash
# The load test (`make loadtest`; not part of `make test`): gunicorn + PostgreSQL + Redis + a
# Celery worker on this machine, all on loopback, driven by Locust (loadtest/locustfile.py).
#
#   1. throwaway PostgreSQL and Redis (scripts/services.sh, in a state directory of its own so
#      a `make services-up` in the same checkout is left alone); migrate; collectstatic;
#      loadtest/prepare.py (demo year + load-test accounts and allocations)
#   2. gunicorn with production settings (DEBUG off, random secret key; plain http on
#      loopback, so no SSL redirect and no secure-only cookies) and `celery -A pqa worker`
#   3. the ceiling: CEILING_SECONDS of the session ping alone (CeilingUser), USERS users
#   4. the scenario: RUN_SECONDS at USERS users (EvaluatorUser 4 : LeaderUser 1)
#      Both count their seconds from the moment the last user has signed in.
#   5. reconcile: completed load-test evaluations in the database == successful
#      "submit evaluation" requests in Locust's stats, and Locust saw no failure at all
#
# Exits non-zero if either check fails. Stops everything it started on exit. Results (Locust
# CSV and HTML, steady-state summaries, server logs, report.md) go to test-artifacts/loadtest/.
# Knobs (environment): USERS (50), SPAWN_RATE (10), RUN_SECONDS (60), CEILING_SECONDS (15),
# GUNICORN_WORKERS (4), GUNICORN_WORKER_CLASS (sync), GUNICORN_THREADS (1),
# DJANGO_CONN_MAX_AGE (60), LOADTEST_EVALUATORS (50), LOADTEST_PER_EVALUATOR (40),
# LOADTEST_LEADERS (10: an account for each leader user at 50 users), PQA_LOADTEST_WAIT ("0,0": think time in seconds, min,max).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PY:-$ROOT/.venv/bin/python}"
BIN="$(dirname "$PY")"
ART="$ROOT/test-artifacts/loadtest"

USERS="${USERS:-50}"
SPAWN_RATE="${SPAWN_RATE:-10}"
RUN_SECONDS="${RUN_SECONDS:-60}"
CEILING_SECONDS="${CEILING_SECONDS:-15}"
GUNICORN_WORKERS="${GUNICORN_WORKERS:-4}"
GUNICORN_WORKER_CLASS="${GUNICORN_WORKER_CLASS:-sync}"
GUNICORN_THREADS="${GUNICORN_THREADS:-1}"
export PQA_LOADTEST_EVALUATORS="${LOADTEST_EVALUATORS:-50}"
export PQA_LOADTEST_LEADERS="${LOADTEST_LEADERS:-10}"
LOADTEST_PER_EVALUATOR="${LOADTEST_PER_EVALUATOR:-40}"

log() { echo "loadtest: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -x "$BIN/locust" ]] || die "locust is not installed in $BIN: run 'make loadtest' (it installs requirements-loadtest.txt)"

rm -rf "$ART"
mkdir -p "$ART"
SERVICES_DIR="$(mktemp -d /tmp/pqa-loadtest-services.XXXXXX)"
GUNICORN_PID=""
CELERY_PID=""

stop_pid() {
    local pid="$1" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    log "stopping gunicorn, the worker, PostgreSQL and Redis"
    stop_pid "$GUNICORN_PID"
    stop_pid "$CELERY_PID"
    PQA_SERVICES_DIR="$SERVICES_DIR" bash "$ROOT/scripts/services.sh" stop >/dev/null 2>&1 || true
    rm -rf "$SERVICES_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# --- 1. services, schema, static files, data ----------------------------------------------
eval "$(PQA_SERVICES_DIR="$SERVICES_DIR" bash "$ROOT/scripts/services.sh" start)"
export DATABASE_URL="$PQA_SERVICES_PG_URL"
export REDIS_URL="$PQA_SERVICES_REDIS_URL"
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export PQA_SSL_REDIRECT=0 PQA_SECURE_COOKIES=0  # plain http on loopback; TLS is the proxy's in production
export DJANGO_CONN_MAX_AGE="${DJANGO_CONN_MAX_AGE:-60}"
export PQA_LOG_LEVEL="${PQA_LOG_LEVEL:-WARNING}"

log "migrate"
"$PY" manage.py migrate --noinput >"$ART/migrate.log" 2>&1 || { cat "$ART/migrate.log" >&2; die "migrate failed"; }
log "collectstatic"
"$PY" manage.py collectstatic --noinput >"$ART/collectstatic.log" 2>&1 \
    || { tail -20 "$ART/collectstatic.log" >&2; die "collectstatic failed (is the CSS built? make deps)"; }
log "prepare data ($PQA_LOADTEST_EVALUATORS evaluators x $LOADTEST_PER_EVALUATOR allocations, $PQA_LOADTEST_LEADERS leaders, demo year)"
# No broker for the set-up: its allocation e-mails go to the in-memory outbox at once.
env -u REDIS_URL "$PY" loadtest/prepare.py --evaluators "$PQA_LOADTEST_EVALUATORS" \
    --per-evaluator "$LOADTEST_PER_EVALUATOR" --leaders "$PQA_LOADTEST_LEADERS" | tee "$ART/prepare.log" >&2

# --- 2. gunicorn and the worker ----------------------------------------------------------------
PORT="$(free_port)"
HOST="http://127.0.0.1:$PORT"
log "gunicorn on $HOST: $GUNICORN_WORKERS $GUNICORN_WORKER_CLASS workers x $GUNICORN_THREADS threads"
"$BIN/gunicorn" pqa.wsgi --bind "127.0.0.1:$PORT" --workers "$GUNICORN_WORKERS" \
    --worker-class "$GUNICORN_WORKER_CLASS" --threads "$GUNICORN_THREADS" --backlog 2048 --timeout 60 \
    --access-logfile "$ART/gunicorn-access.log" --access-logformat '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)s' --error-logfile "$ART/gunicorn.log" >>"$ART/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
"$BIN/celery" -A pqa worker --concurrency 1 --loglevel WARNING --without-gossip --without-mingle \
    >"$ART/celery.log" 2>&1 &
CELERY_PID=$!
for _ in $(seq 1 150); do
    curl -fsS "$HOST/healthz" >/dev/null 2>&1 && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$ART/gunicorn.log" >&2; die "gunicorn exited"; }
    sleep 0.2
done
curl -fsS "$HOST/healthz" >/dev/null || die "gunicorn did not answer /healthz"
kill -0 "$CELERY_PID" 2>/dev/null || { cat "$ART/celery.log" >&2; die "the Celery worker exited"; }

run_locust() {  # NAME SECONDS USERCLASS...
    local name="$1" seconds="$2"
    shift 2
    # The measured SECONDS start once every user has signed in (sign-in is ~0.45 s of CPU each,
    # so 50 of them take ~10 s on 2 cores); --run-time is a cap that should never be reached.
    PQA_LOADTEST_SUMMARY="$ART/${name}_summary.json" PQA_LOADTEST_STEADY_SECONDS="$seconds" \
        "$BIN/locust" -f loadtest/locustfile.py --headless --host "$HOST" --users "$USERS" \
        --spawn-rate "$SPAWN_RATE" --run-time "$((seconds + 120))s" --stop-timeout 30 \
        --csv "$ART/$name" --csv-full-history --html "$ART/$name.html" --only-summary --loglevel WARNING "$@" \
        >"$ART/$name.log" 2>&1
}

# --- 3. the ceiling ---------------------------------------------------------------------------
log "ceiling: ${CEILING_SECONDS}s of the session ping at $USERS users"
ceiling_status=0
SPAWN_RATE="$USERS" run_locust ceiling "$CEILING_SECONDS" CeilingUser || ceiling_status=$?

# --- 4. the scenario ---------------------------------------------------------------------------
log "scenario: ${RUN_SECONDS}s at $USERS users (spawn rate $SPAWN_RATE/s)"
scenario_status=0
run_locust scenario "$RUN_SECONDS" EvaluatorUser LeaderUser || scenario_status=$?
# Let in-flight work settle (the stop timeout already let every user finish its task).
sleep 1

# --- 5. reconcile and report -------------------------------------------------------------------
submitted_in_db="$(env -u REDIS_URL "$PY" loadtest/prepare.py --count-submitted)"
report_status=0
"$PY" loadtest/report.py --artifacts "$ART" --submitted-in-db "$submitted_in_db" \
    --setup "gunicorn $GUNICORN_WORKERS $GUNICORN_WORKER_CLASS workers x $GUNICORN_THREADS threads, \
DJANGO_CONN_MAX_AGE=$DJANGO_CONN_MAX_AGE, $USERS users, spawn rate $SPAWN_RATE/s, think time ${PQA_LOADTEST_WAIT:-0,0} s" \
    >"$ART/report.md" || report_status=$?
cat "$ART/report.md"
if ((ceiling_status != 0 || scenario_status != 0 || report_status != 0)); then
    log "FAILED: locust ceiling exit $ceiling_status, scenario exit $scenario_status, reconciliation exit $report_status"
    log "see $ART (scenario_failures.csv, gunicorn.log)"
    exit 1
fi
log "passed: results in $ART/report.md"
