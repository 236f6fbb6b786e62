#!/usr/bin/env bash
# The two long background jobs (the knowledge build of issue 19, the peers grid of issue 20), each run from
# its own clone of this repository so that work in the main tree cannot disturb them.
#
#   bash scripts/long_jobs.sh status            what each job is doing, and what its clone holds
#   bash scripts/long_jobs.sh sync              copy the clones' results into this tree and commit them
#   bash scripts/long_jobs.sh start build|peers sync, then start that job from a fresh clone of this tree
#   bash scripts/long_jobs.sh stop build|peers  stop that job (and only it); its results stay in its clone
#
# A session's end stops both jobs and a new machine has only what main has: sync every half hour or so.
# Both jobs resume where their results end (the build from its store, or from the committed artifact on a
# new machine; the peers grid after its last recorded row). Each job runs in a session of its own, so
# stopping one never stops the other.
# Settings (environment): WORK (/work), BUILD_JOBS (evaluation workers of the build: 1 when the peers grid
# runs beside it, 2 on an otherwise idle machine), PEERS_ARGS (--systems flaml autogluon autogluon_best).
set -euo pipefail
cd "$(dirname "$0")/.."
MAIN="$PWD"
WORK="${WORK:-/work}"
KB="$WORK/kb"
PEERS="$WORK/peers"
STORE_DIR="$WORK/knowledge-store"
PYTHON="$MAIN/.venv/bin/python"
ARTIFACT="artifacts/knowledge-1.1.0"
RESULTS="benchmarks/results/peers_large.csv"

pids_of() {  # the process groups running a job, from the pattern of its script
  pgrep -f "$1" || true
}

sync_results() {
  local changed=0
  if compgen -G "$KB/$ARTIFACT/*.npz" >/dev/null; then
    cp "$KB/$ARTIFACT"/*.npz "$ARTIFACT/"
  fi
  if [ -f "$PEERS/$RESULTS" ] && [ "$(wc -l < "$PEERS/$RESULTS")" -ge "$(wc -l < "$RESULTS")" ]; then
    cp "$PEERS/$RESULTS" "$RESULTS"
  fi
  git add "$ARTIFACT"/*.npz "$RESULTS"
  if ! git diff --cached --quiet -- "$ARTIFACT" "$RESULTS"; then
    git commit -q -m "Long jobs: knowledge build 1.1.0 artifact and peers_large ($(($(wc -l < "$RESULTS") - 1)) rows) at $(date -u +%H:%M) UTC" \
      -- "$ARTIFACT" "$RESULTS"
    changed=1
  fi
  [ "$changed" = 1 ] && echo "committed: $(git log --oneline -1)" || echo "nothing new to commit"
}

fresh_clone() {
  rm -rf "$1"
  git clone -q "$MAIN" "$1"
}

start_build() {
  [ -z "$(pids_of 'run_knowledge_build.sh')" ] || { echo "the build is already running"; exit 1; }
  fresh_clone "$KB"
  mkdir -p "$STORE_DIR"
  (cd "$KB" && PYTHONPATH="$KB" AUTOML="$PYTHON -m automl_engine.cli" ARTIFACT_DIR="$ARTIFACT" \
    KNOWLEDGE_STORE="$STORE_DIR/build.sqlite" N_JOBS="${BUILD_JOBS:-1}" \
    setsid nohup bash scripts/run_knowledge_build.sh --fidelity-first >> "$STORE_DIR/build.log" 2>&1 < /dev/null &)
  echo "build started from $(git -C "$KB" log --oneline -1 | cut -c1-60) with ${BUILD_JOBS:-1} worker(s); log $STORE_DIR/build.log"
}

start_peers() {
  [ -z "$(pids_of 'run_peers_large.sh')" ] || { echo "the peers grid is already running"; exit 1; }
  fresh_clone "$PEERS"
  [ -d "$MAIN/.venv-autogluon" ] && ln -s "$MAIN/.venv-autogluon" "$PEERS/.venv-autogluon"
  # shellcheck disable=SC2086
  (cd "$PEERS" && PYTHON="$PYTHON" PYTHONPATH="$PEERS" REPORT= \
    setsid nohup bash scripts/run_peers_large.sh ${PEERS_ARGS:---systems flaml autogluon autogluon_best} \
    > "$WORK/peers-large.log" 2>&1 < /dev/null &)
  echo "peers grid started; log $WORK/peers-large.log"
}

stop_job() {  # the whole session of the job's script: the script, its python and their children
  local pid
  for pid in $(pids_of "$1"); do
    kill -TERM -- "-$(ps -o sid= -p "$pid" | tr -d ' ')" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
}

status() {
  echo "build: $([ -n "$(pids_of 'run_knowledge_build.sh')" ] && echo running || echo stopped)" \
    "$( [ -f "$STORE_DIR/build.log" ] && tail -c 300 "$STORE_DIR/build.log" | tr '\r' '\n' | grep -o '[0-9]*/[0-9]* evaluations.*ETA [0-9hm]*' | tail -1)"
  echo "peers: $([ -n "$(pids_of 'run_peers_large.sh')" ] && echo running || echo stopped)," \
    "$( [ -f "$PEERS/$RESULTS" ] && echo "$(($(wc -l < "$PEERS/$RESULTS") - 1)) rows in the clone" || echo "no clone")," \
    "$(($(wc -l < "$RESULTS") - 1)) rows in this tree"
}

case "${1:-status}" in
  status) status ;;
  sync) sync_results ;;
  start)
    sync_results
    case "${2:-}" in
      build) start_build ;;
      peers) start_peers ;;
      *) echo "usage: $0 start build|peers"; exit 2 ;;
    esac ;;
  stop)
    case "${2:-}" in
      build) stop_job 'run_knowledge_build.sh'; stop_job 'automl_engine.cli knowledge build' ;;
      peers) stop_job 'run_peers_large.sh'; stop_job 'benchmarks/peers_large.py'; stop_job 'autogluon_worker.py' ;;
      *) echo "usage: $0 stop build|peers"; exit 2 ;;
    esac ;;
  *) echo "usage: $0 status|sync|start build|peers|stop build|peers"; exit 2 ;;
esac
