# civicgrid — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
export PYTHONPATH := $(CURDIR)

.PHONY: help install web run machine-run machine-bench machine-test test test-fast test-browser bench bench-quick bench-cluster bench-lifecycle lint format lock clean

help:
	@echo "make run      start the whole platform (embedded store, local RabbitMQ) on http://127.0.0.1:8000"
	@echo "make test     run the whole test suite against the real broker and store"
	@echo "make bench    measure throughput and latency on the machine's broker, then on a three-node cluster,"
	@echo "              and compare them (~10 min; make bench-quick: the broker alone, 10-40/s, 1-2 min;"
	@echo "              make bench-cluster: the quick steps on both, compared, ~5 min)"
	@echo "make bench-lifecycle  600 cases round all seven stages over the API, 12 people at once (~5 min)"
	@echo "make web      build the web console and field app into web/dist (npm ci && npm run build)"
	@echo "make lint     ruff check and ruff format --check (make format: ruff format)"
	@echo "make lock     re-pin requirements*.lock from pyproject.toml"

$(STAMP): requirements-dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Debian/Ubuntu: apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# The web app (web/): npm ci when the lock changes, vite build when a source changes (docs/ui.md).
WEB_SOURCES := web/package.json web/vite.config.js web/sw-plugin.js web/index.html shared/texts.json $(shell find web/src web/public -type f 2>/dev/null)

web/node_modules/.installed: web/package-lock.json
	@command -v npm >/dev/null || { echo "node.js and npm are needed for the web app (Debian/Ubuntu: apt-get install nodejs npm)"; exit 1; }
	@# `npm ci` refuses this npm's lock files (they omit other platforms' optional rollup binaries):
	@# install exactly what the lock pins, without rewriting it.
	cd web && npm install --no-save --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/.built: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build --silent
	@touch $@

web: web/dist/.built

run: machine-run install web
	$(BIN)/python -m deploy.launcher

# What each target needs from the machine (broker, its management API, node, docker-compose, chromium), installed and
# started where missing: deploy/machine.sh.
machine-run machine-bench machine-test:
	@bash deploy/machine.sh $(@:machine-%=%)

test: machine-test install web
	$(BIN)/python -m pytest

# tests/contract beside the service tests: a fake changed is checked against its real store (SecantusDB, no broker).
test-fast: install
	$(BIN)/python -m pytest tests/unit tests/service tests/contract

test-browser: machine-test install web
	$(BIN)/python -m pytest tests/browser

bench: machine-bench install
	$(BIN)/python -m bench --broker both

bench-quick: machine-bench install
	$(BIN)/python -m bench --quick

# The quick steps on the single broker and on a three-node cluster, compared (the cluster takes ~30 s to start).
bench-cluster: machine-bench install
	$(BIN)/python -m bench --quick --broker both

# The whole loop instead of intake: cases reported, registered, dispatched, signed for, resolved, verified and closed
# over the API by several people at once (bench/lifecycle.py; figures per action and CPU per case).
bench-lifecycle: machine-bench install
	$(BIN)/python -m bench --lifecycle

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .

lock:
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf var/ .pytest_cache .ruff_cache
