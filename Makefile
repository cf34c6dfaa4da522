# The registry's commands. `make run` and `make test` work on a fresh machine with
# Python 3.11+ and make; everything else is created on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt migrate seed worker beat web bench messages check install lock clean

# Installs exactly the locked versions, then the project itself without resolving anything.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## lock: re-resolve pyproject.toml's dependencies (with dev) in a scratch venv and rewrite requirements.lock
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet --upgrade pip
	$(VENV)-lock/bin/pip install --quiet -e '.[dev]'
	{ echo "# The exact versions 'make install' and CI install (then the project itself with --no-deps)."; \
	  echo "# Refresh after editing pyproject.toml's dependencies: make lock"; \
	  $(VENV)-lock/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf $(VENV)-lock

## run: the embedded default on http://127.0.0.1:8000: SQLite, demo data, the web server and
## a Celery worker with embedded beat on a SQLite broker (no service to install); Ctrl-C stops all
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) manage.py run_embedded $(HOST):$(PORT)

## test: the whole suite (services it cannot reach are skipped, unless CI=true): first everything
## but the browser and integration tests on two xdist workers, then those two folders in one
## process (fixed ports, timings; tests/conftest.py). PYTEST_ARGS: extra options for both runs
PYTEST_ARGS ?=
test: $(STAMP)
	$(PY) -m pytest -n 2 --ignore=tests/e2e --ignore=tests/integration $(PYTEST_ARGS); units=$$?; \
	$(PY) -m pytest tests/e2e tests/integration $(PYTEST_ARGS); rest=$$?; \
	test $$units -eq 0 && test $$rest -eq 0

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check complaints registry
	$(BIN)/mypy complaints registry

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format complaints registry tests benchmarks

check: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

migrate: $(STAMP)
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed_demo

messages: $(STAMP)
	cd complaints && ../$(PY) ../manage.py makemessages -l ru -l kk -l en --no-obsolete
	$(PY) manage.py compilemessages

## The full stack without Docker: export DATABASE_URL and REDIS_URL first.
web: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(BIN)/gunicorn -c python:registry.gunicorn_conf registry.wsgi:application --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-4}

## worker: a Celery worker; WORKER_QUEUES=mail (or webhooks, messengers, default, or a comma list) for
## one pool per queue as in docker-compose.yml; every queue when unset
worker: $(STAMP)
	$(BIN)/celery -A registry worker --loglevel=INFO --concurrency=$${WORKER_CONCURRENCY:-2} \
		$(if $(WORKER_QUEUES),-Q $(WORKER_QUEUES) --hostname=$$(echo $(WORKER_QUEUES) | tr , -)@%h)

beat: $(STAMP)
	$(BIN)/celery -A registry beat --loglevel=INFO --schedule=var/celerybeat-schedule

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
