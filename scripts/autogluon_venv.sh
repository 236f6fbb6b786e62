#!/usr/bin/env bash
# Make the virtual environment the peers benchmark runs AutoGluon in (benchmarks/peers_large.py).
# AutoGluon is not a dependency of the package: it lives in its own venv with its own pins, and
# the harness runs it there in a subprocess (benchmarks/autogluon_worker.py).
# Idempotent: a venv that already imports the pinned version is left alone.
# Usage: bash scripts/autogluon_venv.sh            (VENV=... to put it elsewhere, PYTHON=... for the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-$PWD/.venv-autogluon}"
PYTHON="${PYTHON:-python3.11}"
VERSION="1.6.3"
SPEC="autogluon.tabular[lightgbm,catboost,xgboost]==$VERSION"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
import autogluon.tabular  # noqa: F401  (fails if the install is broken)
import pyarrow  # noqa: F401  (the worker reads parquet)
sys.exit(0 if version("autogluon.tabular") == sys.argv[1] else 1)
EOF
then
  echo "$VENV already has autogluon.tabular $VERSION"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# pyarrow: the harness hands tables over as parquet; pandas/numpy/scikit-learn come as AutoGluon pins them.
"$VENV/bin/python" -m pip install --quiet "$SPEC" pyarrow
"$VENV/bin/python" -c "import autogluon.tabular, sys; print('autogluon.tabular', autogluon.tabular.__version__, 'in', sys.prefix)"
