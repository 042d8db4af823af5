# The two commands: `make run` (set up everything and serve) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test bench e2e fuzz check-wheel lint format install install-test install-e2e setup translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# axe-core checks every page of the journeys; a test-only file, never served by the app.
AXE_VERSION ?= 4.14.1
AXE         := tests/e2e/vendor/axe.min.js

install-e2e: install-test
	$(BIN)/pip install --quiet -e '.[test,e2e]'
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@test -f $(AXE) || (mkdir -p $(dir $(AXE)) && cd $(dir $(AXE)) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js && rm axe-core-$(AXE_VERSION).tgz)

setup: install
	$(FLASK) db upgrade
	$(FLASK) seed city
	$(FLASK) seed demo

## Serve on http://127.0.0.1:5000 with SQLite (instance/carbon.db), the scheduler beside it.
run: setup
	@echo "Serving on http://$(HOST):$(PORT) with the scheduler beside it (Ctrl-C stops both)"
	@$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## pytest on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m "not e2e"

## Browser journeys (Playwright + Debian's Chromium, 360x640). Screenshots: tests/e2e/screenshots/;
## on failure also a trace (`playwright show-trace`) and a screenshot in tests/e2e/screenshots/failures/.
e2e: install-e2e
	@fc-list :lang=zh | grep -q . || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk) \
	  || echo "warning: no Chinese font (apt-get install fonts-noto-cjk); screenshots will show boxes"
	$(BIN)/pytest -q -m e2e tests/e2e --screenshot only-on-failure --tracing retain-on-failure \
	  --output tests/e2e/screenshots/failures

## schemathesis against the API as every role, on a fresh PostgreSQL database (FUZZ_PG_URL) or --sqlite.
fuzz: install-test
	$(BIN)/python -m tests.fuzz.run $(FUZZ_ARGS)

## Build the wheel, install it in a clean venv outside the checkout, migrate, seed and serve /readyz.
check-wheel:
	PYTHON=$(PYTHON) bash tools/check_wheel.sh

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Extract messages, update both catalogs, compile (fails while a Chinese string is missing).
translations: install
	$(BIN)/python tools/i18n.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

## Every benchmark once at a small scale (SCALE=full: the issue's sizes, about 70 minutes), on PostgreSQL;
## writes docs/benchmarks.md (SCALE=full: docs/benchmarks-full.md), figures beside their goals, the date
## and the machine. Not part of `make test`.
SCALE ?= small
bench: install-test
	$(BIN)/python tests/benchmarks/run_all.py --scale $(SCALE) --out docs/benchmarks$(if $(filter full,$(SCALE)),-full).md
