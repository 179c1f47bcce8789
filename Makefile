# Two commands matter: `make run` (open the app) and `make test` (the whole suite).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install compile clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

# Bytecode for our own modules: an editable install has none, and with PYTHONDONTWRITEBYTECODE
# set (as on some servers) every start compiled them again (~80 ms of a 0.5 s cold start).
# compileall writes it regardless and skips what is up to date.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q hwdesk screens

install: $(STAMP)

run: compile
	$(BIN)/hwdesk

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: compile
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info
