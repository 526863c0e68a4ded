# Nông Số — one entry point for every chore.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
PY := .venv/bin/python

.PHONY: run setup setup-test test test-sqlite check bench demo clean

## make run: install, migrate, build the demo province, serve http://127.0.0.1:8000
run: setup
	$(PY) -m nongso.cli db upgrade
	$(PY) -m nongso.cli demo

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

## make test: the whole suite on SQLite and on PostgreSQL (127.0.0.1:5432 or NONGSO_TEST_PG_URL)
test: setup-test
	$(PY) -m pytest -q -p no:cacheprovider -n auto

## make check: ruff, mypy --strict on src/, alembic check, the import contracts (lint-imports),
## the declared dependencies (deptry: the code, then the tests against the dev group too)
check: setup
	.venv/bin/ruff check src tests scripts benchmarks
	.venv/bin/mypy
	@d=$$(mktemp -d); export NONGSO_DATABASE_URL=sqlite:///$$d/check.db; \
	  $(PY) -m nongso.cli db upgrade >/dev/null && $(PY) -m nongso.cli db check
	.venv/bin/lint-imports --no-cache --no-logo
	.venv/bin/deptry src scripts benchmarks
	.venv/bin/deptry tests --exclude '^\.venv' --known-first-party tests --known-first-party nongso \
	  --ignore DEP002,DEP004

## make bench: benchmarks, one JSON line each
bench: setup
	@for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
