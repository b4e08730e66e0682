# Onramp developer commands. Everything runs on 127.0.0.1; see scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Extra pytest arguments: make test PYTEST_ARGS="-k foo"
PYTEST_ARGS ?=
export PYTEST_ARGS

# uv: one bootstrap path for every target (scripts/services.sh): uv on PATH, else a private
# virtualenv under .local/uv-venv made with python3 -m venv (python3-venv via apt-get as root).
UV = bash scripts/services.sh uv

.PHONY: help uv sync lock hooks run test bench chaos lint fmt migrate shell stop

help:
	@echo "make run      PostgreSQL + Redis + migrate + demo data + web/worker/beat on http://acme.localhost:8000/"
	@echo "make test     full test suite on throwaway PostgreSQL/Redis (PYTEST_ARGS=\"-k foo\" to filter)"
	@echo "make bench    benchmarks (scripts/bench.sh)"
	@echo "make chaos    kill matrix: faults under load, then no loss/duplicate (CHAOS_QUICK=1: short)"
	@echo "make lint     ruff check, ruff format --check, djlint, django-upgrade, mypy (scripts/lint.sh)"
	@echo "make fmt      ruff --fix + ruff format"
	@echo "make lock     re-lock uv.lock after editing pyproject.toml"
	@echo "make hooks    install the pre-commit git hook (the same checks on each commit)"
	@echo "make migrate  manage.py migrate against the 'make run' database"
	@echo "make shell    manage.py shell against the 'make run' services"
	@echo "make stop     stop the 'make run' PostgreSQL/Redis if left running"

uv:
	@bash scripts/services.sh ensure-uv

sync: uv
	$(UV) sync --frozen

lock: uv
	$(UV) lock

hooks: sync
	.venv/bin/pre-commit install

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

# The kill matrix (issue 14): about 35 minutes; CHAOS_QUICK=1 for a short run (scripts/chaos.sh).
chaos: uv
	bash scripts/chaos.sh

lint: sync
	bash scripts/lint.sh

fmt: sync
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

migrate: uv
	bash scripts/services.sh dev-manage migrate --noinput

shell: uv
	bash scripts/services.sh dev-manage shell

stop:
	bash scripts/services.sh dev-stop
