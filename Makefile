# mediawatch: `make run` and `make test` are all a new user needs.
# The virtualenv is (re)built whenever the pinned lock file changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements/lock.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format bench eval lock clean

$(STAMP): requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

## run: serve the bundled demo site on loopback and ingest it into data/warehouse.duckdb
run: $(STAMP)
	$(BIN)/mediawatch demo

## test: lint, format check and the whole test suite (what CI runs)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## format: apply ruff's fixes and formatting
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: run the benchmarks and print measured numbers (about 10 minutes on 2 cores)
bench: $(STAMP)
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_feeds.py
	$(BIN)/python bench/run_bench.py

## eval: extraction quality on public pages with ground truth (EVAL_DATA, default ../shared/eval)
EVAL_DATA ?= ../shared/eval
eval: $(STAMP)
	$(BIN)/python bench/eval_extraction.py --data $(EVAL_DATA) --jobs 2

## lock: re-resolve requirements/*.in into the pinned requirements/lock.txt
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -r requirements/main.in -r requirements/dev.in
	.lock-venv/bin/python -m pip freeze --all --exclude pip > requirements/lock.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data .pytest_cache
