#!/usr/bin/env bash
# Run the offline knowledge build in the background and commit the shipped artifact as it grows.
# Resumable: killing and re-running continues from the store (or from the committed artifact
# on a new machine). Usage: nohup bash scripts/run_knowledge_build.sh [extra build args] &
# AUTOML (default: the installed `automl` command) runs the CLI; from a clone that is not the
# installed package, point it at the clone: PYTHONPATH=$PWD AUTOML="python -m automl_engine.cli".
set -u
cd "$(dirname "$0")/.."
AUTOML="${AUTOML:-automl}"
STORE="${KNOWLEDGE_STORE:-$HOME/.local/share/automl-engine/knowledge-build.sqlite}"
COMMIT_EVERY="${COMMIT_EVERY:-1200}"
$AUTOML knowledge build --store "$STORE" --n-jobs "${N_JOBS:-2}" --export-every 600 "$@" &
BUILD=$!
commit_artifact() {
  $AUTOML knowledge fit >/dev/null 2>&1 || echo "recommender fit failed"
  git add automl_engine/knowledge/data/*.npz 2>/dev/null
  git commit -q -m "Knowledge build: partial results ($($AUTOML knowledge info | tail -2 | awk '{printf "%s %s datasets, %s observed; ", $1, $2, $6}'))" \
    -- automl_engine/knowledge/data/ 2>/dev/null && echo "committed at $(date -u +%H:%M)"
}
waited=0
while kill -0 "$BUILD" 2>/dev/null; do  # poll, so the end of the build is noticed within seconds
  sleep 10
  waited=$((waited + 10))
  if [ "$waited" -ge "$COMMIT_EVERY" ]; then
    commit_artifact
    waited=0
  fi
done
wait "$BUILD"
commit_artifact
