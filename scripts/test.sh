#!/usr/bin/env bash
# Install what the tests need, lint (ruff) and run the whole suite (README command b).
# Installs the package with its test extra and, for the browser tests, Debian's chromium when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test]"

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

python -m ruff check .
python -m pytest "$@"
