# The two commands: `make dev` and `make test`. Everything is installed from here,
# into .venv, from the requirements files; nothing is installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The AWS CDK CLI, pinned in infra/package-lock.json; only synth and deploy need it (the tests do not).
CDK_CLI    := infra/node_modules/.bin/cdk
CDK_STAMP  := infra/node_modules/.installed
# jsii warns on every start that node 20 is past its end of life; the CDK still runs on it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

.PHONY: dev test bench lint test-unit test-functional test-e2e test-infra synth deploy clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "could not create $(VENV): on Debian/Ubuntu install python3-venv (apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt requirements-infra.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Start the whole platform locally (no AWS account, no Stripe key). SEED_DEMO=1 adds a demo tenant.
dev: $(STAMP)
	$(BIN)/python -m infra.local

## Install what the tests need, check style and types, and run every tier.
test: lint
	$(BIN)/python -m pytest

## Print what requests and OCPP frames cost (median time, DynamoDB reads/writes, cold import). Figures, not tests.
bench: $(STAMP)
	$(BIN)/python -m tests.bench.rest_api
	$(BIN)/python -m tests.bench.ocpp_frames

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-functional: $(STAMP)
	$(BIN)/python -m pytest tests/functional

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

test-infra: $(STAMP)
	$(BIN)/python -m pytest tests/infra

$(CDK_STAMP): infra/package.json infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund
	touch $(CDK_STAMP)

## Synthesize the AWS stack into cdk.out with the CDK CLI (no AWS account needed).
synth: $(STAMP) $(CDK_STAMP)
	$(CDK_CLI) synth --no-notices -q $(CDK_ARGS)

## Deploy to the account and region of your AWS credentials; CDK_ARGS="-c domainName=..." (README).
deploy: $(STAMP) $(CDK_STAMP)
	$(CDK_CLI) deploy --no-notices $(CDK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis cdk.out chalice.out infra/node_modules
