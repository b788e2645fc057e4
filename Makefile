# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fuzz clean audit soak

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/clepath serve

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory audit

# Kill -9 durability, full run: 20 rounds on SQLite (and PostgreSQL when
# $CLEPATH_TEST_POSTGRES_URL is set); the test suite runs a bounded slice.
soak: $(STAMP)
	$(BIN)/python -m tests.ops.kill9 --rounds 20

# Offline: checks installed packages against an OSV snapshot in $CLEPATH_ADVISORIES when given,
# and says plainly when it could check nothing (exit 2, not a failure); fails on a finding.
audit: $(STAMP)
	@$(BIN)/python scripts/audit_deps.py; rc=$$?; test $$rc -ne 1

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_cds.py
	$(BIN)/python benchmarks/bench_overload.py
	$(BIN)/python benchmarks/bench_screen.py --sizes 10000 100000
	$(BIN)/python benchmarks/bench_cold_start.py
	$(BIN)/python benchmarks/bench_hostile_input.py

# Fuzz the case-file reader and checks for FUZZ_SECONDS (default 60); findings go to
# FUZZ_OUT (default fuzz-findings/). `make test` runs a bounded, derandomised slice.
fuzz: $(STAMP)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $(BIN)/python scripts/fuzz.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
