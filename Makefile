# newsmon: `make demo` (crawl the local publisher site into the embedded database), `make check` (lint and the
# fast tests, for the inner loop) and `make test` (everything, as CI runs it).
# Both build the virtualenv on first use with a Python >= 3.13 they find on their own
# (NEWSMON_PYTHON, python3.13+, or a pyenv-installed 3.13+).

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: venv browser redis node-driver test check lint format demo bench bench-render db-stop clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@set -euo pipefail; \
	if [ ! -x "$(PY)" ]; then \
	  py="$$(bash .ci/find-python)"; \
	  echo "Creating $(VENV) with $$py"; \
	  "$$py" -m venv "$(VENV)"; \
	fi; \
	"$(PY)" -m pip install --quiet --upgrade pip; \
	"$(PY)" -m pip install --quiet -e '.[dev]'; \
	touch "$(STAMP)"

# Chromium for rendering JS pages (crawler/runtime/render): Debian's package, installed when missing and we may.
BROWSER ?= $(or $(NEWSMON_BROWSER_PATH),/usr/lib/chromium/chromium)
browser:
	@set -uo pipefail; \
	if [ -x "$(BROWSER)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make browser: $(BROWSER) is missing; install Debian's chromium (apt-get install -y chromium)" \
	  "as root, or set NEWSMON_BROWSER_PATH; rendering tests will fail until then" >&2; exit 0; fi; \
	echo "Installing Debian's chromium for rendering"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium >/dev/null; } || \
	  echo "make browser: could not install chromium; rendering tests will fail" >&2

# Debian's redis-server for distributed mode's tests, bench and demo (crawler/runtime/distributed), like `browser`.
redis:
	@set -uo pipefail; \
	if command -v redis-server >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make redis: redis-server is missing; install Debian's redis-server (apt-get install -y" \
	  "redis-server) as root; distributed tests will fail until then" >&2; exit 0; fi; \
	echo "Installing Debian's redis-server for distributed mode"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	  { $$sudo apt-get update -qq && $$sudo apt-get install -y -qq redis-server >/dev/null; } || \
	  echo "make redis: could not install redis-server; distributed tests will fail" >&2

# MongoDB's official Node.js driver for tests/test_node_driver.py (a consumer on another driver than pymongo):
# npm's `mongodb` at the version of tests/node/package-lock.json, into the git-ignored $(NODE_DIR), like `browser`.
NODE_DIR ?= .node
node-driver:
	@set -uo pipefail; \
	if ! command -v npm >/dev/null; then \
	  echo "make node-driver: npm is missing; the Node.js driver test skips (install Node.js 18+ with npm)" >&2; exit 0; fi; \
	if cmp -s tests/node/package-lock.json "$(NODE_DIR)/package-lock.json" && \
	  [ -f "$(NODE_DIR)/node_modules/mongodb/package.json" ]; then exit 0; fi; \
	echo "Installing MongoDB's Node.js driver into $(NODE_DIR)"; \
	mkdir -p "$(NODE_DIR)" && cp tests/node/package.json tests/node/package-lock.json "$(NODE_DIR)/" && \
	  npm ci --prefix "$(NODE_DIR)" --no-audit --no-fund --silent || \
	  echo "make node-driver: npm ci failed; the Node.js driver test will fail" >&2

test: venv browser redis node-driver
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: lint, then the tests not marked slow (tests/conftest.py says which are slow and why), in under a
# minute; `make test` runs everything.
check: venv browser redis
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: venv
	$(PY) -m tests.support.demo

bench: venv
	$(PY) bench/store_write.py

bench-render: venv browser
	$(PY) bench/render.py

db-stop: venv
	$(VENV)/bin/newsmon db stop

clean:
	rm -rf $(VENV) $(NODE_DIR) build *.egg-info .pytest_cache .ruff_cache
