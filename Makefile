# The two commands a new machine needs are `make run` and `make test`.
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST_ARGS ?=
STAGE ?= dev
ALARM_EMAIL ?=
CDK := cd infra && node_modules/.bin/cdk
CDK_FLAGS := --no-notices -c stages=$(STAGE)

.PHONY: help run test check lint typecheck unit integration e2e browser contract bench synth lint-infra package deploy destroy mutation mutation-report clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run the whole hub locally (moto, gateway, REST, schedules, frontend) on 127.0.0.1:8787
	@scripts/bootstrap python frontend
	$(PY) -m local.run $(ARGS)

test: ## every check and every test: ruff, mypy, tsc, contract drift, unit, integration, infra (synth, cfn-lint, cdk-nag, artifact, rehearsal), e2e, browser
	@scripts/bootstrap python frontend chromium cdk
	$(MAKE) --no-print-directory check

check: lint typecheck ## lint, types, generated contract files, then all tests (expects bootstrap done)
	$(PY) -m tools.contract --check
	$(PY) -m pytest $(PYTEST_ARGS)

lint: ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: ## mypy + tsc, and the frontend's client-logic tests
	$(PY) -m mypy
	cd frontend && npm run --silent typecheck && npm test --silent

unit: ## unit tier: in-memory fakes of the stores, network blocked (seconds)
	@scripts/bootstrap python frontend
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: ## integration tier: the real DynamoDB stores and the whole hub on moto in-process
	@scripts/bootstrap python
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

e2e: ## end-to-end tier: real WebSockets against the local stack (and the local gateway's own tests)
	@scripts/bootstrap python frontend
	$(PY) -m pytest tests/e2e tests/local $(PYTEST_ARGS)

browser: ## browser tier: headless Chromium against the local stack
	@scripts/bootstrap python frontend chromium
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

mutation: ## mutation testing of the rule modules (mypy first, then mutmut; incremental; ~23 min from scratch, not part of test)
	@scripts/bootstrap python
	nice -n 19 $(PY) -m tools.mutation run $(if $(JOBS),--jobs $(JOBS)) $(if $(ONLY),--only $(ONLY))

mutation-report: ## the last mutation run: score per module, survivors (--check: fail under target)
	$(PY) -m tools.mutation report $(ARGS)

contract: ## regenerate docs/protocol.md, docs/openapi.json and frontend/src/shared/contract.ts from chalicelib/contract
	@scripts/bootstrap python frontend
	$(PY) -m tools.contract

bench: ## benchmarks (print figures; see docs/benchmarks.md); synthesizes first, for the shipped package's cold start
	@scripts/bootstrap python frontend cdk
	$(CDK) synth --quiet --no-notices
	$(PY) -m bench.all

synth: ## cdk synth of every stage, offline (out: build/cdk.out), with the cdk-nag checks
	@scripts/bootstrap python frontend cdk
	$(CDK) synth --quiet --no-notices
	@echo "templates and assets: build/cdk.out"

lint-infra: synth ## cfn-lint on the synthesized templates
	cd infra && ../.venv/bin/cfn-lint --config-file .cfnlintrc.yaml

package: ## the Lambda package of STAGE (built by the synth; prints its path and size)
	@scripts/bootstrap python frontend cdk
	$(CDK) synth --quiet $(CDK_FLAGS)
	@$(PY) -m infra.deploy package $(STAGE)

deploy: ## deploy STAGE=dev|prod to the AWS account of your credentials [ALARM_EMAIL=ops@example.com]; prints the URLs
	@scripts/bootstrap python
	@$(PY) -m infra.deploy check $(STAGE)
	@scripts/bootstrap frontend cdk
	$(CDK) deploy FlowHub-$(STAGE)-Stateful FlowHub-$(STAGE)-Stateless $(CDK_FLAGS) \
		--outputs-file ../build/outputs-$(STAGE).json \
		$(if $(ALARM_EMAIL),--parameters FlowHub-$(STAGE)-Stateless:AlarmEmail=$(ALARM_EMAIL)) $(ARGS)
	@$(PY) -m infra.deploy summary $(STAGE)

destroy: ## delete STAGE's stacks (prod keeps its tables, user pool, secret and buckets)
	@scripts/bootstrap python
	@$(PY) -m infra.deploy check $(STAGE)
	@scripts/bootstrap frontend cdk
	$(CDK) destroy FlowHub-$(STAGE)-Stateless FlowHub-$(STAGE)-Stateful $(CDK_FLAGS) $(ARGS)

clean:
	rm -rf build .local frontend/dist
