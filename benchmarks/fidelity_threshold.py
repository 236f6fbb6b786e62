"""Where should rungs start? The same search with and without rungs, side by side, on mid-size tables.

Usage: python benchmarks/fidelity_threshold.py [--tables NAME ...] [--budget 120] [--min-rows 2000]
       [--results benchmarks/results/fidelity_threshold.csv] [--write docs/BENCHMARKS.md]

For each corpus table (meta-train tables by default: the threshold is chosen on them, the meta-test
split stays untouched), split 80/20 (stratified for classification), two searches run *at the same
time*, one core each, so they share whatever else loads the machine: ``rungs`` (multi-fidelity with
rung 0 at ``--min-rows`` training rows) and ``full`` (``fidelity="full"``). Recorded: pipelines
scored, time to the first score, the test score (balanced accuracy / R²) and the wall time. Rows are
appended to ``--results`` as they finish, so a run can be resumed.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402
from scale import markdown  # noqa: E402

DEFAULT_TABLES = ["dplyr/storms:status", "modeldata/check_times:status", "sampleSelection/RandHIE:income",
                  "openintro/loans_full_schema:grade"]
VARIANTS = ("rungs", "full")

ONE_RUN = r"""
import json, sys, time
from functools import partial
sys.path.insert(0, "benchmarks")
import scale
import automl_engine.automl as automl_module
from automl_engine import AutoML
from automl_engine.search import SearchEvent
from automl_engine.search.fidelity import make_rungs
name, variant, budget, min_rows = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
kind, (X_train, X_test, y_train, y_test) = scale.corpus_table(name)
automl_module.make_rungs = partial(make_rungs, min_rows=min_rows)
first, start = [], time.perf_counter()
def on_event(event):
    if isinstance(event, SearchEvent) and event.status == "ok" and not first:
        first.append(time.perf_counter() - start)
model = AutoML(time_budget=budget, random_state=0, n_jobs=1,
               fidelity="auto" if variant == "rungs" else "full").fit(X_train, y_train, on_event=on_event)
wall = time.perf_counter() - start
ok = [h for h in model.history_ if h["status"] == "ok"]
print(json.dumps({"table": name, "variant": variant, "rows": len(X_train) + len(X_test),
                  "pipelines": len({h["pipeline_id"] for h in ok}), "evaluations": len(ok),
                  "first_score_s": round(first[0], 1) if first else None,
                  "final_rows": model.best_record_.get("rows"),
                  "test_score": round(scale.test_score(kind, y_test, model.predict(X_test)), 4),
                  "wall_s": round(wall, 1)}))
"""


def run_pair(name: str, budget: float, min_rows: int) -> list[dict]:
    """Both variants on ``name`` at the same time, one core each; their result rows."""
    runs = [subprocess.Popen([sys.executable, "-c", ONE_RUN, name, variant, str(budget), str(min_rows)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for variant in VARIANTS]
    rows = []
    for variant, run in zip(VARIANTS, runs):
        out, _ = run.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        rows.append(json.loads(lines[-1]) if lines else {"table": name, "variant": variant, "error": "no result"})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=DEFAULT_TABLES)
    parser.add_argument("--budget", type=float, default=120)
    parser.add_argument("--min-rows", type=int, default=2000, help="training rows of rung 0 (the threshold / 4)")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results/fidelity_threshold.csv"))
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    done = pd.read_csv(args.results) if args.results.exists() else pd.DataFrame(columns=["table", "budget"])
    for name in args.tables:
        if ((done["table"] == name) & (done["budget"] == args.budget)).any():
            continue
        load = psutil.getloadavg()[0]
        rows = [{**row, "budget": args.budget, "min_rows": args.min_rows, "load": round(load, 1)}
                for row in run_pair(name, args.budget, args.min_rows)]
        print(rows, flush=True)
        done = pd.concat([done, pd.DataFrame(rows)], ignore_index=True)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        done.to_csv(args.results, index=False)
    shown = done[done["budget"] == args.budget]
    command = "python benchmarks/fidelity_threshold.py " + " ".join(argv if argv is not None else sys.argv[1:])
    publish(markdown(shown), args.write, "fidelity-threshold", command,
            "the two variants of a table ran at the same time, one core each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
