# Helpline 1912 — `make run` serves on embedded defaults with demo data; `make test` runs the
# tests. Both set everything up on a fresh machine (Python 3.11+ required).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
QUICK ?=

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) run_ivr.py check
	$(PY) run_ivr.py db upgrade
	$(PY) run_ivr.py seed --if-empty
	$(PY) run_ivr.py serve

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench $(if $(QUICK),--quick,)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf var bench/results.json .pytest_cache .mypy_cache .ruff_cache
