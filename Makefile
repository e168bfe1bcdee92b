# Previsit: `make run` to try it, `make test` to test it. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# `make test` runs against the local PostgreSQL and Redis unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/previsit
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=
# Browser tests drive Debian's Chromium; `make test` installs it when it is missing.
CHROMIUM ?= /usr/bin/chromium
# The production web setup's test runs Debian's nginx; `make test` installs it when it is missing.
NGINX ?= /usr/sbin/nginx
# axe-core from the npm registry, pinned in tests/browser/axe/package-lock.json: the browser tests
# inject it to check WCAG 2.2 AA on every page.
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js

.PHONY: run test test-sqlite lint format check security deploy-check bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	PREVISIT_PORT=$(PORT) $(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:$(PORT) with a Celery worker and beat. Ctrl-C stops all."
	PREVISIT_PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: $(VENV)/.dev-installed $(CHROMIUM) $(NGINX) $(AXE)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		PREVISIT_CHROMIUM=$(CHROMIUM) PREVISIT_NGINX=$(NGINX) $(BIN)/pytest $(PYTEST_ARGS)

# The embedded default: the suite on SQLite, less what only PostgreSQL can do, on every core
# (each pytest-xdist process gets its own SQLite file and Redis database: clinic/settings/test.py).
test-sqlite: $(VENV)/.dev-installed
	env -u DATABASE_URL REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -m "not postgres_only and not browser" -n auto $(PYTEST_ARGS)

# Debian's packages that tests drive: Chromium for the browser tests (Playwright can't download its
# own browser here) and nginx for the production web setup (docs/deploy/). Installed with apt-get
# as root, or with sudo when it needs no password; otherwise the message says what to run.
define apt_install
	@echo "The tests need $(2) at $@; installing Debian's package $(1)."
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "Cannot install it without root. Run:  sudo apt-get install -y $(1)"; \
		echo "or point $(3) at one you have:  make test $(3)=/path/to/$(2)"; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "No apt-get here. Install $(2) and run:  make test $(3)=/path/to/$(2)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get update -qq && $$sudo apt-get install -y -qq $(1) >/dev/null
	@test -x $@ || { echo "apt-get finished but $@ is not there"; exit 1; }
endef

$(CHROMIUM):
	$(call apt_install,chromium fonts-dejavu-core,chromium,CHROMIUM)

$(NGINX):
	$(call apt_install,nginx-light,nginx,NGINX)

$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	cd tests/browser/axe && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Style, then the layers of docs/architecture.md (pyproject.toml [tool.importlinter]).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(VENV)/.dev-installed
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Static analysis (no medium or high finding may stay) and known vulnerabilities in the pins.
# pip-audit fails on any known vulnerability; it lists (and, with PIP_AUDIT_FLAGS=--strict, fails
# on) pins it could not look up, e.g. where the package index mirror has no per-release data.
PIP_AUDIT_FLAGS ?=
security: $(VENV)/.dev-installed
	$(BIN)/bandit -c pyproject.toml -r clinic intake advice -ll --quiet
	$(BIN)/pip-audit --requirement requirements.txt --requirement requirements-dev.txt \
		--progress-spinner off $(PIP_AUDIT_FLAGS)

# Django's deployment checklist against production settings. Throwaway secrets, made here, never
# written anywhere: the point is that a production configuration prints no warning at all.
deploy-check: $(VENV)/.runtime-installed
	@DJANGO_ENV=production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	FIELD_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	ALLOWED_HOSTS=previsit.clinic.example CSRF_TRUSTED_ORIGINS=https://previsit.clinic.example \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/previsit} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} SECURE_PROXY_SSL_HEADER_ENABLED=true \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Seeds its own database (previsit_bench, dropped afterwards), serves it with gunicorn and a Celery
# worker in production settings, and writes bench/results.json and bench/out/. About 13 minutes.
# BENCH_ARGS=--publish also updates the README table and docs/img/bench-latency.png.
BENCH_ARGS ?=
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Ten minutes of mixed portal and dashboard load on its own database (previsit_soak, dropped
# afterwards) and Redis, a Celery worker killed and Redis restarted in the middle; writes
# bench/out/soak.json and fails if any notification was lost or sent twice. About 15 minutes.
# SOAK_ARGS=--minutes 1 is a quicker look (the outbox still takes 5 minutes to drain).
# --supervise restarts a worker that exits by itself, as the documented deployment's systemd
# unit does (docs/deploy/previsit-worker.service); SOAK_ARGS= without it shows what happens
# with no service manager.
SOAK_ARGS ?= --supervise
soak: $(VENV)/.dev-installed
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf var db.sqlite3 .pytest_cache test-artifacts
