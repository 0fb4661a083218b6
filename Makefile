# PQA: the two commands a person needs are `make run` and `make test` (see README.md).
# Everything they need is installed by the targets below, only when missing or changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.pqa-requirements.stamp
NODE_STAMP := node_modules/.pqa-package.stamp
CSS := static/pqa/css/pqa.css
SCSS := $(wildcard static-src/*.scss)

BENCH_ROWS ?= 100000 1000000

.PHONY: bench help run test lint deps system-deps css services-up services-down services-status clean distclean

help: ## Show this help
	@echo "PQA make targets:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

# --- the two commands ------------------------------------------------------------

run: deps ## Install what is missing, migrate, load the demo data and serve http://127.0.0.1:8000 (debug, no Redis)
	env -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	env -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py load_demo
	@echo "PQA on http://127.0.0.1:8000 (demo accounts are listed on the login page; Ctrl-C stops it)"
	env -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: system-deps deps ## Install what is missing, lint, then every test: SQLite, browser, PostgreSQL (with Redis)
	@bash scripts/run-tests.sh

# --- installing what is missing ------------------------------------------------

$(PY_STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || { echo "Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $@

# npm ci for a fresh checkout (exactly the lock file); npm install when package.json changed.
$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@if [ ! -d node_modules ] && [ -f package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error; \
	else \
		npm install --no-audit --no-fund --loglevel=error; \
	fi
	@touch $@

$(CSS): $(SCSS) $(NODE_STAMP)
	npm run --silent build:css

deps: $(PY_STAMP) $(NODE_STAMP) $(CSS) ## Install Python and npm packages (when changed) and build the CSS

system-deps: ## Install Redis, PostgreSQL 15, Chromium and Pango with apt-get when root on Debian (only what is missing)
	@bash scripts/install-system-deps.sh

# --- the parts -------------------------------------------------------------------

bench: $(PY_STAMP) ## Not part of `make test`: the distribution and the dashboard at national scale, SQLite then PostgreSQL (docs/benchmarks.md)
	rm -f /tmp/pqa-bench.sqlite3
	DATABASE_URL=sqlite:////tmp/pqa-bench.sqlite3 $(PY) scripts/bench_dashboard.py --rows $(BENCH_ROWS)
	rm -f /tmp/pqa-bench.sqlite3
	eval "$$(bash scripts/services.sh start postgres)" && \
		DATABASE_URL=$$PQA_SERVICES_PG_URL $(PY) scripts/bench_dashboard.py --rows $(BENCH_ROWS); \
		status=$$?; bash scripts/services.sh stop postgres; exit $$status

lint: $(PY_STAMP) ## ruff, and a check that no model change lacks its migration
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run

services-up: ## Start a throwaway PostgreSQL and Redis on free loopback ports (URLs in .services/env)
	@bash scripts/services.sh start
	@echo "Use them with: source .services/env; DATABASE_URL=\$$PQA_SERVICES_PG_URL REDIS_URL=\$$PQA_SERVICES_REDIS_URL ..."

services-down: ## Stop them and delete their data
	@bash scripts/services.sh stop

services-status: ## Say whether they run, and where
	@bash scripts/services.sh status >/dev/null

clean: services-down ## Remove generated files and caches (keeps db.sqlite3, .venv and node_modules)
	rm -rf .services staticfiles test-artifacts .pytest_cache .ruff_cache $(CSS)
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean ## Also remove .venv and node_modules
	rm -rf $(VENV) node_modules

# --- load test (not part of make test) ------------------------------------------------------

LOADTEST_STAMP := $(VENV)/.pqa-loadtest-requirements.stamp

$(LOADTEST_STAMP): requirements-loadtest.txt $(PY_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-loadtest.txt
	@touch $@

.PHONY: loadtest
loadtest: system-deps deps $(LOADTEST_STAMP) ## Locust against gunicorn + PostgreSQL + Redis + Celery: ceiling, then 60 s at 50 users; results in test-artifacts/loadtest
	@bash scripts/loadtest.sh
