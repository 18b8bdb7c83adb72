# PromptOps: `make run` (the product on the embedded default) and `make test` (the suite).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# This machine's pip configuration names local mirrors that may be absent: hide that noise only.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q

# Python 3.12+: python3.13/python3.12 on PATH (pyenv shims fail until selected, so each is
# tried), else pyenv's installed 3.12/3.13, else nothing (a clear message below).
PYTHON ?= $(shell for c in python3.13 python3.12; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v $$c; exit; fi; \
	done; \
	for p in $$HOME/.pyenv/versions/3.1[23]*/bin/python3; do \
	  if [ -x $$p ] && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; exit; fi; \
	done)

.PHONY: run test lint format bench install install-test migrate clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    set up and start PromptOps on the embedded default (SQLite, no servers)"
	@echo "make test   install test dependencies and run the whole suite"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks under bench/"

$(VENV)/bin/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "PromptOps needs Python 3.12 or newer. Install python3.12 (Debian: apt-get install python3.12 python3.12-venv) or pyenv install 3.12, then re-run."; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(VENV)/bin/python
	@echo "Installing locked dependencies"
	@$(PIP) install -r requirements/base.txt $(QUIET_PIP)
	@$(PIP) install --no-deps -e . $(QUIET_PIP)
	@touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml $(VENV)/.installed-base
	@echo "Installing locked test dependencies"
	@$(PIP) install -r requirements/test.txt $(QUIET_PIP)
	@touch $@

# LiteLLM's Langfuse prompt integration needs langfuse 4.x while the suite uses 5.x, so its
# client test (tests/api_clients/test_litellm.py) runs in a venv of its own, built here.
LITELLM_VENV := var/litellm-venv
$(LITELLM_VENV)/.pins-sha256: requirements/litellm-test.txt | $(VENV)/bin/python
	@echo "Building the LiteLLM client venv for tests/api_clients"
	@rm -rf $(LITELLM_VENV)
	@$(PY) -m venv $(LITELLM_VENV)
	@$(LITELLM_VENV)/bin/pip --disable-pip-version-check -q install -r requirements/litellm-test.txt $(QUIET_PIP)
	@$(PY) -c "import hashlib; print(hashlib.sha256(open('requirements/litellm-test.txt', 'rb').read()).hexdigest(), end='')" > $@

install: $(VENV)/.installed-base
install-test: $(VENV)/.installed-test $(LITELLM_VENV)/.pins-sha256

migrate: install
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py collectstatic --noinput -v 0

run: migrate
	@$(PY) manage.py setup_demo > /dev/null
	@$(PY) manage.py seed_demo_prompts --workspace demo > /dev/null
	@exec scripts/run-embedded.sh

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser tests"
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	 else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi

test: install-test /usr/bin/chromium
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: install-test
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

# The peers (LiteLLM from PyPI, promptfoo from npm) go to var/bench; never part of `make test`.
# One benchmark: make bench B=gateway
bench: install-test
	@sh bench/setup.sh $(PY)
	@$(PY) -m bench $(B)

clean:
	rm -rf $(VENV) var/static
