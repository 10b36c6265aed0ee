# newsmon: `make demo` (crawl the local publisher site into the embedded database) and `make test`.
# Both build the virtualenv on first use with a Python >= 3.13 they find on their own
# (NEWSMON_PYTHON, python3.13+, or a pyenv-installed 3.13+).

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: venv test lint format demo bench db-stop clean

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

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: venv
	$(PY) -m crawler.demo

bench: venv
	$(PY) bench/store_write.py

db-stop: venv
	$(VENV)/bin/newsmon db stop

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
