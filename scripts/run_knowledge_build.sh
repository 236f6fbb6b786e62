#!/usr/bin/env bash
# Run the offline knowledge build in the background and commit the shipped artifact as it grows.
# Resumable: killing and re-running continues from the store (or from the committed artifact
# on a new machine). Usage: nohup bash scripts/run_knowledge_build.sh [extra build args] &
# AUTOML (default: the installed `automl` command) runs the CLI; from a clone that is not the
# installed package, point it at the clone: PYTHONPATH=$PWD AUTOML="python -m automl_engine.cli".
set -u
cd "$(dirname "$0")/.."
# ARTIFACT_DIR (default: the package's shipped artifact) is where the build resumes from and exports
# to: a build that is not ready to ship (a new catalogue version) writes to a folder of its own.
AUTOML="${AUTOML:-automl}"
STORE="${KNOWLEDGE_STORE:-$HOME/.local/share/automl-engine/knowledge-build.sqlite}"
COMMIT_EVERY="${COMMIT_EVERY:-1200}"
ARTIFACT_DIR="${ARTIFACT_DIR:-automl_engine/knowledge/data}"
$AUTOML knowledge build --store "$STORE" --n-jobs "${N_JOBS:-2}" --export-every 600 --out "$ARTIFACT_DIR" "$@" &
BUILD=$!
commit_artifact() {
  $AUTOML knowledge fit --out "$ARTIFACT_DIR" >/dev/null 2>&1 || echo "recommender fit failed"
  git add "$ARTIFACT_DIR"/*.npz 2>/dev/null
  git commit -q -m "Knowledge build: partial results exported to $ARTIFACT_DIR at $(date -u +%H:%M) UTC" \
    -- "$ARTIFACT_DIR" 2>/dev/null && echo "committed at $(date -u +%H:%M)"
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
