# The two commands that matter: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
UV := python3 -m uv
PYTEST_ARGS ?=

.PHONY: help install run test check lint typecheck pytest bench schemas format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: ## install uv (with pip) if missing, then the locked workspace into .venv
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv \
		|| python3 -m pip install --quiet --user --break-system-packages uv
	@$(UV) sync --frozen --quiet

run: install ## start the whole platform on embedded infrastructure, with demo data
	@$(UV) run --frozen heyzack-stack

test: install check pytest ## lint, type-check and run the whole suite against real servers

check: lint typecheck

lint:
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

typecheck:
	@$(UV) run --frozen mypy shared/heyzack_shared deploy/heyzack_stack services/installations/installations \
		services/ratings/ratings services/credits/credits services/kpi-projector/kpi_projector

pytest:
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: install ## projector throughput vs raw Kafka; report latency p50/p99; portal page load
	@$(UV) run --frozen python bench/projector_bench.py
	@$(UV) run --frozen python bench/report_bench.py
	@$(UV) run --frozen python bench/portal_bench.py

schemas: install ## export every event's JSON Schema + the AsyncAPI document (docs/schemas/), each service's OpenAPI (docs/openapi/)
	@$(UV) run --frozen python -m heyzack_shared.contracts.schemas docs/schemas
	@$(UV) run --frozen python -m heyzack_stack.openapi docs/openapi

format: install ## apply ruff's fixes and formatting
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

clean: ## remove local state (embedded databases, logs) and caches
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache
