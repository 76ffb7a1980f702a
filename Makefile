# Selfcare: one entry point. Prerequisites: Python >= 3.11 (python3 on PATH), Node >= 20 (CDK synth).
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/build/jsii-cache
export CDK_HOME := $(CURDIR)/build/cdk-home
export CDK_OUTDIR ?= $(CURDIR)/cdk.out

# Verify the audit trail's hash chains and signed digests (default: the local stack of `make run`).
VERIFY_AUDIT_ARGS ?= --local

.PHONY: verify-audit setup run test test-unit test-integration test-e2e test-infra lint types openapi bench bench-calls bench-cold synth deploy clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.9

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

run: setup ## start the local stack on http://127.0.0.1:3000
	$(RUN)/python -m infra.local

lint: setup
	$(RUN)/ruff check .
	$(RUN)/ruff format --check .

types: setup
	$(RUN)/mypy

test-unit: setup
	$(RUN)/pytest tests/unit -q

test-integration: setup
	$(RUN)/pytest tests/integration -q

test-e2e: setup
	$(RUN)/pytest tests/e2e -q

test-infra: setup
	$(RUN)/pytest tests/infra -q

test: setup lint types ## every suite, lint and types
	$(RUN)/pytest -q

openapi: setup ## regenerate the committed OpenAPI document
	$(RUN)/python -m infra.openapi > docs/openapi.json

bench: setup
	$(RUN)/python -m bench

bench-calls: setup ## the DynamoDB calls per request only (no cold starts, no long runs)
	$(RUN)/python -m bench calls

bench-cold: setup ## the cold-start table only (before and after the cold-start work, one run)
	$(RUN)/python -m bench cold

verify-audit: setup ## check the audit trail's chains and digests; names any entry modified, deleted or inserted
	$(RUN)/python -m infra.scripts.verify_audit $(VERIFY_AUDIT_ARGS)

synth: setup
	$(RUN)/python -m infra.app

deploy: setup synth ## needs AWS credentials and a bootstrapped account (see README)
	npx --yes aws-cdk@2 deploy --app cdk.out --all --require-approval broadening
	$(RUN)/python -m infra.scripts.rotate_signing_key --if-missing

clean:
	rm -rf $(VENV) $(TOOLS) build cdk.out .pytest_cache .mypy_cache .ruff_cache
