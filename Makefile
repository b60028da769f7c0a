# Two commands matter: `make demo` (install + run the local pipeline) and `make test`
# (install + lint + type-check + the whole suite). Both work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test deep lint typecheck unit synth scan bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/engage demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

# The suite with the long property runs (10,000 random RG histories instead of 1,500).
deep: lint typecheck
	ENGAGE_DEEP_PROPERTIES=1 $(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

# Synthesizes the CloudFormation template into cdk.out (no Docker, no AWS credentials).
synth: install
	PATH="$(CURDIR)/$(BIN):$$PATH" npx --yes aws-cdk@2 synth --quiet

# Security scanners over a prod synth (docs/deploy.md, "Scanners", lists what they report and
# why each remaining finding is a false positive). checkov gets its own virtualenv: its
# pins clash with the CDK's.
SCAN_VENV := .venv-scan
scan: install
	rm -rf cdk.out.scan
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m infra.synth prod cdk.out.scan
	$(BIN)/cfn-lint cdk.out.scan/Engage-prod.template.json || true
	test -x $(SCAN_VENV)/bin/checkov || ($(PYTHON) -m venv $(SCAN_VENV) && $(SCAN_VENV)/bin/pip install --quiet checkov)
	$(SCAN_VENV)/bin/checkov -f cdk.out.scan/Engage-prod.template.json --framework cloudformation --compact --quiet || true

bench: install
	$(BIN)/python benchmarks/rule_matching.py
	$(BIN)/python benchmarks/demo_capacity.py
	$(BIN)/python benchmarks/gameplay_capacity.py
	$(BIN)/python benchmarks/cold_import.py
	$(BIN)/python benchmarks/lifecycle_scheduler_cost.py
	$(BIN)/python benchmarks/points_state_size.py
	$(BIN)/python benchmarks/decide_throughput.py
	$(BIN)/python benchmarks/missions_decide.py
	$(BIN)/python benchmarks/backtest_speed.py --players 300
	$(BIN)/python benchmarks/wheel_spins.py
	$(BIN)/python benchmarks/console_reach.py
	@echo "leaderboard at 100k players (about 8 minutes on moto): python benchmarks/leaderboard.py"
	@echo "instructions per decision, machine-independent (needs valgrind, ~5 min): python benchmarks/decide_instructions.py"

clean:
	rm -rf $(VENV) $(SCAN_VENV) cdk.out cdk.out.scan .pytest_cache .mypy_cache .ruff_cache .hypothesis
