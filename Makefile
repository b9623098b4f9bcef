# Satja: `make demo` to try it, `make test` to test it. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app gateway

.PHONY: demo test lint bench prod-check clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Satja needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

## demo: set up, migrate, seed NAMKHAO, run the gateway and a worker (Ctrl-C stops)
demo: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) demo run

## test: set up, lint, and run the whole suite (DATABASE_URL/REDIS_URL pick the pass)
test: $(VENV)/.dev lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## prod-check: the Procfile's processes on this machine's PostgreSQL and Redis, under load
prod-check: $(VENV)/.dev
	$(BIN)/python ops/prod_check.py

## bench: the performance scripts (PostgreSQL and Redis: DATABASE_URL, REDIS_URL)
bench: $(VENV)/.dev
	$(BIN)/python bench/all.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
