# airflow-client-ext: spec pipeline, checks and tests. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
AIRFLOW2_VERSION ?= 2.11.2
AIRFLOW3_VERSION ?= 3.3.2
OPENAPI_GENERATOR_VERSION := 7.26.0

TOOLS := .tools/venv
TOOLS_STAMP := $(TOOLS)/.installed-$(OPENAPI_GENERATOR_VERSION)
GENERATOR := $(TOOLS)/bin/openapi-generator-cli
TOX := $(TOOLS)/bin/tox

.PHONY: help system-deps tools spec lock-authored generate check-generated lint unit test matrix soak schemathesis bench demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "openapi-generator-cli==$(OPENAPI_GENERATOR_VERSION)" "pyyaml>=6" "tox>=4.20"
	touch $@

system-deps: ## install the Debian packages the tests need (only those missing; root or sudo)
	@bash scripts/system-deps.sh

tools: $(TOOLS_STAMP) ## install the tool venv (openapi-generator-cli, pyyaml, tox) in .tools/

spec: $(TOOLS_STAMP) ## fetch the specs: make spec AIRFLOW2_VERSION=2.11.2 AIRFLOW3_VERSION=3.3.2
	$(TOOLS)/bin/python scripts/fetch_spec.py --airflow2 $(AIRFLOW2_VERSION) --airflow3 $(AIRFLOW3_VERSION)

lock-authored: ## after editing a spec authored here (openapi/starship.yaml), record its sha256
	$(PYTHON) scripts/specs.py --relock

generate: $(TOOLS_STAMP) ## transform the specs and regenerate generated/
	$(TOOLS)/bin/python scripts/generate.py --generator $(GENERATOR) --out generated

check-generated: $(TOOLS_STAMP) ## regenerate into a temp dir; fail on any drift from generated/
	$(TOOLS)/bin/python scripts/generate.py --generator $(GENERATOR) --out generated --check

lint: $(TOOLS_STAMP) ## ruff check, ruff format --check, mypy --strict
	$(TOX) run -e lint

unit: $(TOOLS_STAMP) ## unit tests (no server)
	$(TOX) run -e unit

test: system-deps $(TOOLS_STAMP) ## what CI runs: drift check, lint, unit, contract tests, matrix on the oldest 2.x and 3.x
	$(TOX) run -e generated,lint,unit,package,contract,matrix-oldest

matrix: system-deps $(TOOLS_STAMP) ## the matrix suite on every supported minor, one at a time; writes docs/compatibility.md
	$(TOX) run -e matrix

soak: system-deps $(TOOLS_STAMP) ## the fault soak (>= 1,000 calls through faults, API server restarts) on 2.11.2 and 3.3.2
	$(TOX) run -e soak

schemathesis: system-deps $(TOOLS_STAMP) ## schemathesis on every GET against real 2.11.2 and 3.3.2 (25 examples each; CI runs 3)
	$(TOX) run -e schemathesis

bench: system-deps $(TOOLS_STAMP) ## all benchmarks in one table (starts real servers, ~20 min); writes benchmarks/RESULTS.md
	$(TOX) run -e bench

clean: ## remove the tool venv, tox envs and build output
	rm -rf .tools .venv .tox build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---------------------------------------------------------------------------- main job
AIRFLOW_VERSION ?= $(AIRFLOW3_VERSION)
DEV := .venv
DEV_STAMP := $(DEV)/.installed

$(DEV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DEV)
	$(DEV)/bin/pip install --quiet -e ".[testing,cli]"
	touch $@

demo: system-deps $(DEV_STAMP) ## main job: a real Airflow (AIRFLOW_VERSION=3.3.2, or any of 2.8.4 ... 3.3.2), demo DAG run to the end
	$(DEV)/bin/python scripts/demo.py --airflow-version $(AIRFLOW_VERSION)
