# Two commands do all the set-up: `make run` starts the sandbox, `make test` runs the tests.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Running needs the package alone; testing also needs its test extra.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-test
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: run test test-quick lint bench soak docs dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@

run: $(RUN_STAMP)
	@# Bytecode compiled ahead, so no start compiles the sources (PYTHONDONTWRITEBYTECODE or not).
	$(BIN)/python -m compileall -q sandbox > /dev/null
	$(BIN)/rebilly-sandbox serve $(ARGS)

test: $(STAMP) sdk haproxy chromium
	$(BIN)/ruff check .
	$(BIN)/rebilly-sandbox fixtures check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Rebilly's JS SDK, pinned in tests/sdk, for tests/test_js_sdk.py. Without node and npm those
# tests skip with that reason, and the build goes on.
SDK_DIR := tests/sdk
SDK_STAMP := $(SDK_DIR)/node_modules/.installed

.PHONY: sdk
sdk:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(SDK_STAMP); \
	else \
		echo "node and npm not found: the JS SDK tests will be skipped"; \
	fi

$(SDK_STAMP): $(SDK_DIR)/package.json $(SDK_DIR)/package-lock.json
	cd $(SDK_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium, which the browser tests drive through Playwright (never `playwright install`).
# Installed as root when missing; otherwise those tests skip with that reason, and the build goes on.
CHROMIUM := /usr/bin/chromium

.PHONY: chromium
chromium:
	@[ -x $(CHROMIUM) ] || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "chromium could not be installed (needs root and apt-get): the browser tests will be skipped"

# The tests that need no served sandbox, no browser and no long wait: seconds, not minutes.
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not served and not slow and not browser" $(PYTEST_ARGS)

# HAProxy, for the cluster (rebilly-sandbox cluster) and its tests; installed when missing and
# root, else those tests skip with that reason.
.PHONY: haproxy
haproxy:
	@command -v haproxy >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; } || echo "haproxy could not be installed: the cluster tests will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP) haproxy
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || echo "wrk could not be installed: using the Python load generator"
	$(BIN)/python -m scripts.bench $(ARGS)

soak: $(STAMP)
	$(BIN)/python -m scripts.soak $(ARGS)

docs: $(STAMP)
	$(BIN)/python -m rebilly_sandbox.settings_doc > docs/settings.md

# The installable package: dist/rebilly_sandbox-<version>-py3-none-any.whl, and nothing else
# of a former build (setuptools would package a stale build/ tree).
dist: | $(BIN)/python
	rm -rf build dist/rebilly_sandbox-*.whl
	$(PIP) wheel --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
