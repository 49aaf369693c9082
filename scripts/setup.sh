#!/usr/bin/env bash
# Set up Citewise on a fresh machine: a virtualenv in .venv with everything from this repo's own files.
#   bash scripts/setup.sh          # the app
#   bash scripts/setup.sh --test   # the app plus test tools, Ray (the distributed-ingest tests), llama-index (the integration tests) and the headless Chromium the UI tests drive
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
[ -x .venv/bin/python ] || python3 -m venv .venv
# torch first, pinned, so nothing pulls a CUDA build; llama-cpp-python compiles once (~11 min) and is cached.
.venv/bin/pip install -q "torch==2.13.0"
if [ "${1:-}" = "--test" ]; then
  .venv/bin/pip install -q -e ".[test,ray,llamaindex]"
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "warning: could not install Debian chromium; the browser tests will be skipped" >&2
    else
      echo "warning: install Debian's chromium (sudo apt-get install chromium) for the browser tests" >&2
    fi
  fi
else
  .venv/bin/pip install -q -e .
fi
echo "Citewise is set up in .venv"
