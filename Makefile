# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fuzz clean

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

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_cds.py
	$(BIN)/python benchmarks/bench_screen.py --sizes 10000 100000
	$(BIN)/python benchmarks/bench_cold_start.py
	$(BIN)/python benchmarks/bench_hostile_input.py

# Fuzz the case-file reader and checks for FUZZ_SECONDS (default 60); findings go to
# FUZZ_OUT (default fuzz-findings/). `make test` runs a bounded, derandomised slice.
fuzz: $(STAMP)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $(BIN)/python scripts/fuzz.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
