"""Time ``automl_engine.explain`` for every catalogue family on a 1,000 rows × 30 columns table.

Usage::

    python benchmarks/explain_speed.py [--rows 1000] [--task binary|regression|all] [--families a,b]
                                       [--time-budget SECONDS|none]

Prints a markdown table (family, explainer, explained output, rows explained of those asked for,
background rows, wall and CPU seconds, additivity error). CPU seconds are reported because the
machine may be shared: they count both threads of the permutation explainer. ``explain`` runs
with its default time budget (``TIME_BUDGET_SECONDS``) unless ``--time-budget`` says otherwise
(``none``: the fixed model-row budget alone). The first permutation explanation in a process also
compiles shap's numba kernels; that one-off cost is measured separately ("JIT warm-up") and not
charged to a family. Target: ≤ 30 s per family on 2 cores.
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.explain import TIME_BUDGET_SECONDS, explain
from automl_engine.search.ensemble import EnsembleModel

N_NUMERIC, N_CATEGORICAL, N_HIGH_CARD, N_DATES, N_TEXT = 22, 4, 1, 2, 1  # 30 columns


def make_table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, dict, np.ndarray, np.ndarray]:
    """(X, column kinds, binary target, regression target) with 30 mixed columns."""
    rng = np.random.default_rng(seed)
    columns, kinds = {}, {}
    for i in range(N_NUMERIC):
        values = rng.normal(size=n_rows)
        values[rng.random(n_rows) < 0.05] = np.nan
        columns[f"num_{i}"], kinds[f"num_{i}"] = values, "numeric"
    for i in range(N_CATEGORICAL):
        columns[f"cat_{i}"] = rng.choice(["a", "b", "c", "d", "e"], size=n_rows)
        kinds[f"cat_{i}"] = "categorical"
    for i in range(N_HIGH_CARD):
        columns[f"code_{i}"] = rng.choice([f"k{j}" for j in range(60)], size=n_rows)
        kinds[f"code_{i}"] = "high_cardinality"
    for i in range(N_DATES):
        columns[f"date_{i}"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_rows), "D")
        kinds[f"date_{i}"] = "datetime"
    words = np.array("good bad fast slow broken great cheap price quality love hate ok".split())
    for i in range(N_TEXT):
        columns[f"text_{i}"] = [" ".join(rng.choice(words, size=4)) for _ in range(n_rows)]
        kinds[f"text_{i}"] = "text"
    X = pd.DataFrame(columns)
    signal = (np.nan_to_num(X["num_0"]) + 0.5 * np.nan_to_num(X["num_1"]) + (X["cat_0"] == "a")
              + X["text_0"].str.contains("good") + rng.normal(scale=0.5, size=n_rows))
    return X, kinds, np.where(signal > np.median(signal), "yes", "no"), signal.to_numpy(dtype=float)


def first_specs(task_type: str) -> dict:
    """The first catalogue pipeline of each family (its own preprocessing and hyper-parameters)."""
    specs = {}
    for spec in load_catalogue(task_type):
        specs.setdefault(spec.family, spec)
    return specs


def time_one(model, X, time_budget) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, explanation)."""
    start, cpu = time.perf_counter(), time.process_time()
    e = explain(model, X, time_budget=time_budget)
    return time.perf_counter() - start, time.process_time() - cpu, e


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--task", choices=("binary", "regression", "all"), default="all")
    parser.add_argument("--families", default="",
                        help="comma-separated family names, 'ensemble' for the ensemble (default: all)")
    parser.add_argument("--time-budget", default=str(TIME_BUDGET_SECONDS),
                        help="seconds passed to explain(time_budget=...), or 'none'")
    args = parser.parse_args(argv)
    time_budget = None if args.time_budget.lower() == "none" else float(args.time_budget)
    load_start = os.getloadavg()
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)
    X, kinds, y_binary, y_regression = make_table(args.rows)
    wanted = set(filter(None, args.families.split(",")))
    rows = []
    # JIT warm-up: compile shap's numba kernels once, on a tiny permutation explanation.
    start, cpu = time.perf_counter(), time.process_time()
    knn = build_pipeline(first_specs("classification")["knn"], kinds).fit(X.head(50), y_binary[:50])
    explain(knn, X.head(5), background=5)
    sys.stdout.write(f"JIT warm-up (first permutation explanation in a process): {time.perf_counter() - start:.1f} s "
                     f"wall, {time.process_time() - cpu:.1f} s CPU\n\n")
    tasks = ("binary", "regression") if args.task == "all" else (args.task,)
    for task in tasks:
        y = y_binary if task == "binary" else y_regression
        task_type = "classification" if task == "binary" else "regression"
        fitted = {}
        for family, spec in first_specs(task_type).items():
            if wanted and family not in wanted:
                continue
            model = build_pipeline(spec, kinds, random_state=0).fit(X, y)
            fitted[family] = model
            seconds, cpu, e = time_one(model, X, time_budget)
            rows.append((task, family, e, seconds, cpu))
            sys.stderr.write(f"{task} {family}: {seconds:.1f} s wall, {cpu:.1f} s CPU, {len(e.values)} of "
                             f"{e.n_requested} rows, background {e.n_background}, load {os.getloadavg()[0]:.1f}\n")
        if not wanted or "ensemble" in wanted:
            specs = first_specs(task_type)
            pair = [fitted.get(f) or build_pipeline(specs[f], kinds, random_state=0).fit(X, y)
                    for f in (("logreg", "random_forest") if task == "binary" else ("ridge", "random_forest"))]
            classes = None if task == "regression" else np.unique(y)
            ensemble = EnsembleModel(pair, [0.5, 0.5], task, classes).fit(X, y)
            seconds, cpu, e = time_one(ensemble, X, time_budget)
            rows.append((task, "ensemble (linear + forest)", e, seconds, cpu))
    sys.stdout.write(f"{args.rows} rows × {X.shape[1]} columns, background 100, time budget {args.time_budget} s; "
                     f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                     f"Python {platform.python_version()}\n\n")
    sys.stdout.write(f"load average at the start: {', '.join(f'{v:.1f}' for v in load_start)}; at the end: "
                     f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} (CPU seconds count both threads)\n\n")
    sys.stdout.write("| task | family | explainer | output | rows explained | background | wall s | CPU s "
                     "| additivity error |\n|---|---|---|---|---:|---:|---:|---:|---:|\n")
    for task, family, e, seconds, cpu in rows:
        explained = f"{len(e.values)}" if len(e.values) == e.n_requested else f"{len(e.values)} of {e.n_requested}"
        sys.stdout.write(f"| {task} | {family} | {e.explainer} | {e.output_kind} | {explained} | {e.n_background} "
                         f"| {seconds:.1f} | {cpu:.1f} | {e.additivity_error():.1e} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
