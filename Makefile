# The two commands of the README: `make run` and `make test`.
# Everything else is a step they depend on.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BUNDLE := voting/static/dist/ballot.js
CATALOG := voting/translations/vi/LC_MESSAGES/messages
JS_SRC := $(wildcard voting/static/src/*.js voting/static/src/*/*.js)

.PHONY: run serve test lint bench build install clean i18n mutation

run: install build
	$(BIN)/flask --app wsgi voting init-db
	$(BIN)/flask --app wsgi voting bootstrap
	$(BIN)/flask --app wsgi run --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

# The production server (README §Deployment): checks the settings, migrates
# (init-db is Alembic's upgrade to head: a no-op on a current database), then
# gunicorn from deploy/gunicorn.conf.py on HOST:PORT (127.0.0.1:8000).
serve: export VOTING_ENV := production
serve: export PORT ?= 8000
serve: install build
	@$(BIN)/python deploy/preflight.py
	$(BIN)/flask --app wsgi voting init-db
	exec $(BIN)/gunicorn --config deploy/gunicorn.conf.py

test: install build lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

bench: install build
	$(BIN)/python -m bench

build: $(BUNDLE) $(CATALOG).mo

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(BUNDLE): node_modules/.installed $(JS_SRC)
	npm run --silent build

$(CATALOG).mo: $(CATALOG).po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d voting/translations -D messages -l vi

i18n: install
	$(BIN)/python tools/i18n.py

# Mutation testing of voting/crypto/ with mutmut (configured in pyproject's
# [tool.mutmut]: only the fast crypto tests judge a mutant). Not part of
# `make test`. Every run starts afresh, since mutmut would otherwise keep
# earlier verdicts although the tests changed; MUTATION_JOBS workers (2).
MUTATION_JOBS ?= 2

mutation: $(VENV)/.mutation-installed
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	$(BIN)/python tools/mutation_report.py

$(VENV)/.mutation-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,mutation]'
	@touch $@

clean:
	rm -rf $(VENV) node_modules voting/static/dist .pytest_cache .ruff_cache mutants
