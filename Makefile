# mediawatch: `make run` and `make test` are all a new user needs.
# The virtualenv is (re)built whenever the pinned lock file changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements/lock.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format bench lock clean eval eval-topics screenshots scale-demo

$(STAMP): requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

# `make run PORT=8800 SERVER_PORT=4300`: the demo site's and the Prefect UI's ports
# (by default 8765 and 4200, or free ones when those are taken).
PORT        ?=
SERVER_PORT ?=

## run: start the local Prefect server (UI), serve the demo site, ingest it into data/warehouse.duckdb
run: $(STAMP)
	$(BIN)/mediawatch server start $(if $(SERVER_PORT),--port $(SERVER_PORT))
	$(BIN)/mediawatch demo $(if $(PORT),--port $(PORT))

## screenshots: what the Prefect UI shows of a demo run, its artifacts, a digest and the
## deployments, as PNGs in docs/screenshots (needs Chromium: apt-get install chromium)
screenshots: $(STAMP)
	$(BIN)/mediawatch server start $(if $(SERVER_PORT),--port $(SERVER_PORT))
	$(BIN)/mediawatch demo $(if $(PORT),--port $(PORT))
	$(BIN)/mediawatch digest --days 1
	$(BIN)/python -m mediawatch.ui_pages docs/screenshots

# `make test TEST_WORKERS=4`: pytest-xdist processes. Each test file stays on one process
# (--dist loadfile): its module fixtures (flow runs, servers) are then set up once, not per process.
# Files are handed out in collection order, where tests/conftest.py puts the `slow` ones first.
TEST_WORKERS ?= 2

## test: lint, format check and the whole test suite (what CI runs), on TEST_WORKERS processes
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## format: apply ruff's fixes and formatting
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: run the benchmarks and print measured numbers (about 15 minutes on 2 cores)
bench: $(STAMP)
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_textcopy.py
	$(BIN)/python bench/bench_topic_model.py
	$(BIN)/python bench/bench_feeds.py
	$(BIN)/python bench/bench_warehouse.py
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/bench_hostile.py

## scale-demo: PostgreSQL, a Prefect server on it, a loopback site of 500 feeds x 20 articles,
## ingested by 1, 2 and 3 workers into a fresh DuckLake each time; checks exactly-once, prints
## articles/s (not part of `make test`; SCALE_ARGS="--feeds 60 --items 10" for a quicker one)
SCALE_ARGS ?=
scale-demo: $(STAMP)
	$(BIN)/python bench/scale_demo.py $(SCALE_ARGS)

## eval-topics: score the IPTC taxonomy on the held-out AG News, BBC News and HuffPost splits,
## Wikinews and MasakhaNEWS English and French (EVAL_DATA/topics/<set>-test.jsonl, made by
## bench/topic_eval/prepare.py, scored with bench/topic_eval/<set>-map.yaml; sets absent are skipped)
EVAL_DATA ?= ../shared/eval
eval-topics: $(STAMP)
	@for set in agnews bbc huffpost wikinews masakhanews-eng masakhanews-fra; do \
	  data=$(EVAL_DATA)/topics/$$set-test.jsonl; \
	  if [ -f $$data ]; then \
	    echo "== $$set: $$data"; \
	    $(BIN)/mediawatch taxonomy test $$data -t mediawatch/defaults/taxonomy.yaml \
	      --mapping bench/topic_eval/$$set-map.yaml --examples 0 || exit 1; \
	  else echo "== $$set: skipped, $$data not found (set EVAL_DATA=...)"; fi; \
	done

## eval: extraction quality on public pages with ground truth (EVAL_DATA, default ../shared/eval),
## then the topic scores above
eval: $(STAMP) eval-topics
	$(BIN)/python bench/eval_extraction.py --data $(EVAL_DATA) --jobs 2

## lock: re-resolve requirements/*.in into the pinned requirements/lock.txt
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -r requirements/main.in -r requirements/dev.in
	.lock-venv/bin/python -m pip freeze --all --exclude pip > requirements/lock.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data .pytest_cache
