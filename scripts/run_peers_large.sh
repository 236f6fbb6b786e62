#!/usr/bin/env bash
# Run the whole peers grid of issue #20 in the background and commit the results as they come:
# every meta-test table with >= 1,000 rows, 2 splits, pmf / random / FLAML / AutoGluon (two
# presets), 60 s and 300 s, one system at a time on one core (benchmarks/peers_large.py).
# Resumable: killing and re-running continues after the last recorded row.
# Usage: nohup bash scripts/run_peers_large.sh [extra peers_large.py args] > peers_large.log 2>&1 &
#   e.g. two processes on an idle machine: ... --shard 0/2 with RESULTS=benchmarks/results/peers_large_0.csv,
#   ... --shard 1/2 with RESULTS=benchmarks/results/peers_large_1.csv (the report takes both with --also).
# At the end it writes the peers-large section of REPORT (default docs/BENCHMARKS.md; REPORT= for
# none) and commits it.
set -u
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
RESULTS="${RESULTS:-benchmarks/results/peers_large.csv}"
COMMIT_EVERY="${COMMIT_EVERY:-1800}"
REPORT="${REPORT-docs/BENCHMARKS.md}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
bash scripts/autogluon_venv.sh || { echo "no AutoGluon venv: see scripts/autogluon_venv.sh"; exit 1; }
"$PYTHON" -c "import flaml.automl" 2>/dev/null || { echo "FLAML is missing: $PYTHON -m pip install flaml"; exit 1; }

"$PYTHON" benchmarks/peers_large.py --results "$RESULTS" "$@" &
RUN=$!
trap 'kill "$RUN" 2>/dev/null; exit 143' INT TERM

commit_results() {
  [ -f "$RESULTS" ] || return 0
  git add "$RESULTS" 2>/dev/null
  git commit -q -m "peers_large: $(($(wc -l < "$RESULTS") - 1)) result rows at $(date -u +%H:%M) UTC" \
    -- "$RESULTS" 2>/dev/null && echo "committed at $(date -u +%H:%M)"
}

waited=0
while kill -0 "$RUN" 2>/dev/null; do  # poll, so the end of the run is noticed within seconds
  sleep 10
  waited=$((waited + 10))
  if [ "$waited" -ge "$COMMIT_EVERY" ]; then
    commit_results
    waited=0
  fi
done
wait "$RUN"
commit_results
[ -n "$REPORT" ] || exit 0
"$PYTHON" benchmarks/peers_large.py --results "$RESULTS" --report-only --report "$REPORT" "$@" \
  --title "Full grid, run by scripts/run_peers_large.sh $*" &&
  git add docs/img/peers_large_rank.png &&
  git commit -q -m "peers_large: report of the full grid in $REPORT" \
    -- "$REPORT" docs/img/peers_large_rank.png && echo "report committed"
