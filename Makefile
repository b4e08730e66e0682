# Onramp developer commands. Everything runs on 127.0.0.1; see scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Extra pytest arguments: make test PYTEST_ARGS="-k foo"
PYTEST_ARGS ?=
export PYTEST_ARGS

# uv from PATH, or as a module when pip put it somewhere off PATH.
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: help uv sync run test bench lint fmt migrate shell stop

help:
	@echo "make run      PostgreSQL + Redis + migrate + demo data + web/worker/beat on http://acme.localhost:8000/"
	@echo "make test     full test suite on throwaway PostgreSQL/Redis (PYTEST_ARGS=\"-k foo\" to filter)"
	@echo "make bench    benchmarks (scripts/bench.sh)"
	@echo "make lint     ruff check + ruff format --check"
	@echo "make fmt      ruff --fix + ruff format"
	@echo "make migrate  manage.py migrate against the 'make run' database"
	@echo "make shell    manage.py shell against the 'make run' services"
	@echo "make stop     stop the 'make run' PostgreSQL/Redis if left running"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install uv \
		|| python3 -m pip install --user --break-system-packages uv

sync: uv
	$(UV) sync --frozen

run: uv
	bash scripts/run.sh

test: uv
	bash scripts/test.sh

bench: uv
	@if [ -f scripts/bench.sh ]; then \
		bash scripts/bench.sh; \
	else \
		echo "No benchmarks yet (scripts/bench.sh does not exist)."; \
	fi

lint: sync
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

fmt: sync
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

migrate: uv
	bash scripts/services.sh dev-manage migrate --noinput

shell: uv
	bash scripts/services.sh dev-manage shell

stop:
	bash scripts/services.sh dev-stop
