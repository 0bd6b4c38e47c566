# The two commands a new machine needs are `make run` and `make test`.
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help run test check lint typecheck unit e2e browser bench package clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the whole hub locally (moto, gateway, REST, schedules, frontend) on 127.0.0.1:8787
	@scripts/bootstrap python frontend
	$(PY) -m local.run $(ARGS)

test: ## every check and every test: ruff, mypy, frontend typecheck, unit, e2e and browser tests
	@scripts/bootstrap python frontend chromium
	$(MAKE) --no-print-directory check

check: lint typecheck ## lint, types, then all tests (expects bootstrap done)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: ## mypy + tsc, and the frontend's client-logic tests
	$(PY) -m mypy
	cd frontend && npm run --silent typecheck && npm test --silent

unit: ## unit tests only
	@scripts/bootstrap python
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

bench: ## benchmarks (print figures; see docs/benchmarks.md)
	@scripts/bootstrap python frontend
	$(PY) -m bench.all

package: ## chalice package with the table/infra template merged (out: build/package)
	@scripts/bootstrap python
	$(PY) -m infra.package

clean:
	rm -rf build .local frontend/dist
