#!/bin/sh
# Installs the peers `make bench` measures PromptOps against, into var/bench (ignored by git), from
# pinned files under bench/: LiteLLM's proxy from PyPI into its own virtual environment, promptfoo
# from npm with its lock file. Idempotent (re-installs only when a pin changed). A peer that can't
# be installed is reported and its half of the benchmarks is skipped; PromptOps' half still runs.
# Usage: sh bench/setup.sh PYTHON
PYTHON=${1:-python3}
BENCH=var/bench
mkdir -p "$BENCH/promptfoo"

if cmp -s bench/requirements-litellm.txt "$BENCH/litellm-venv/.installed" 2>/dev/null; then
  :
else
  echo "bench setup: installing LiteLLM's proxy into $BENCH/litellm-venv (bench/requirements-litellm.txt)"
  rm -rf "$BENCH/litellm-venv"
  if "$PYTHON" -m venv "$BENCH/litellm-venv" \
    && "$BENCH/litellm-venv/bin/pip" install -q --no-deps -r bench/requirements-litellm.txt; then
    cp bench/requirements-litellm.txt "$BENCH/litellm-venv/.installed"
  else
    echo "bench setup: LiteLLM could not be installed: the LiteLLM columns will be skipped"
  fi
fi

if cmp -s bench/promptfoo/package-lock.json "$BENCH/promptfoo/.installed" 2>/dev/null; then
  :
elif command -v npm >/dev/null; then
  echo "bench setup: installing promptfoo into $BENCH/promptfoo (bench/promptfoo/package-lock.json)"
  cp bench/promptfoo/package.json bench/promptfoo/package-lock.json "$BENCH/promptfoo/"
  if (cd "$BENCH/promptfoo" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    cp bench/promptfoo/package-lock.json "$BENCH/promptfoo/.installed"
  else
    echo "bench setup: promptfoo could not be installed: the promptfoo column will be skipped"
  fi
else
  echo "bench setup: npm not found: the promptfoo column will be skipped (apt-get install npm)"
fi
