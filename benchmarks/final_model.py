"""Which final model: refit, bagging, ensemble, bagged ensemble or stacking (issue #20 item 3).

One search per (table, seed) with a time budget; then every final-model strategy of
:mod:`automl_engine.search.final` is built from that same search (same ranked records, same
out-of-fold predictions), so the strategies differ only in the finish. Each is scored on the
table's held-out 25% (benchmarks/peers.py's split and test score: balanced accuracy or R²).

Tables: the corpus's **meta-train** tables (never the meta-test split, which the peers benchmark
reports on) with 1,000 to 20,000 rows, where the search cross-validates on 5 folds; a seeded
sample of --tables of them. One row per (dataset, seed, strategy) is appended to --results as
soon as it is done; a re-run skips what is there (kill and resume at will; --shard K/N splits the
tables between processes).

Usage:
    python benchmarks/final_model.py [--budget 60] [--tables 24] [--seeds 0] [--shard K/N]
        [--results benchmarks/results/final_model.csv] [--report-only] [--write docs/BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import shard_spec, split, test_score  # noqa: E402
from report import publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "final_model.csv"
COLUMNS = ["dataset", "task", "rows", "seed", "budget", "strategy", "built", "val_score", "test_score",
           "final_seconds", "search_seconds", "evaluations", "load_before", "finished_at"]


def select_tables(corpus: pd.DataFrame, n_tables: int, seed: int = 0) -> pd.DataFrame:
    """A seeded sample of meta-train tables with 1,000-20,000 rows, two classification tables per regression one."""
    pool = corpus[(corpus["split"] == "train") & corpus["rows"].between(1000, 20000)]
    rng = np.random.default_rng(seed)
    n_regression = n_tables // 3
    parts = []
    for is_regression, n in ((False, n_tables - n_regression), (True, n_regression)):
        part = pool[(pool["task"] == "regression") == is_regression]
        parts.append(part.iloc[rng.permutation(len(part))[:n]])
    return pd.concat(parts).sort_values("rows").reset_index(drop=True)


def _search(task, X_tr, y_tr, seed, budget):
    """A fitted AutoML (refit) whose search keeps its data and out-of-fold predictions."""
    from automl_engine import AutoML
    from automl_engine.search import Search

    keep = Search.release_data
    Search.release_data = lambda self: None  # the strategies below need the search's data and OOF
    try:
        model = AutoML(time_budget=budget, random_state=seed, learn=False, n_jobs=1, final_model="refit")
        start = time.perf_counter()
        model.fit(X_tr, y_tr)
        return model, time.perf_counter() - start
    finally:
        Search.release_data = keep


def _inputs(model):
    from automl_engine.evaluation import get_metric
    from automl_engine.search.final import FinalInputs
    from automl_engine.search.finish_time import best_records, rows_exponents

    search = model._search
    problem = search.problem
    return FinalInputs(problem.X, problem.y, model.task_, problem.classes, problem.folds,
                       get_metric(model.metric_, model.task_), model.catalogue_, model.column_types_,
                       best_records(model.history_), search.oof, search.validation_rows, model.random_state,
                       exponents=rows_exponents(model.history_))


def run_table(table, seed: int, budget: float, done: set, results: Path) -> None:
    from threadpoolctl import threadpool_limits

    from automl_engine.knowledge.corpus import load_task_frame
    from automl_engine.search.final import FINAL_MODELS, build_final

    todo = [s for s in FINAL_MODELS if (table["name"], seed, s) not in done]
    if not todo:
        return
    task, X_tr, X_te, y_tr, y_te = split(load_task_frame(table), table["target"], seed)
    load = round(os.getloadavg()[0], 2)
    model, search_seconds = _search(task, X_tr, y_tr, seed, budget)
    inputs = _inputs(model)
    for strategy in todo:
        start = time.perf_counter()
        with threadpool_limits(limits=1):
            final = build_final(strategy, inputs)
        seconds = time.perf_counter() - start
        val = final.ensemble_row["score"] if final.ensemble_row else final.best_record["score"]
        predicted = final.model.predict(model._as_frame(X_te))
        row = {"dataset": table["name"], "task": task, "rows": int(table["rows"]), "seed": seed, "budget": budget,
               "strategy": strategy, "built": final.strategy, "val_score": val,
               "test_score": test_score(task, y_te, predicted), "final_seconds": round(seconds, 2),
               "search_seconds": round(search_seconds, 1), "evaluations": len(model.history_), "load_before": load,
               "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        frame = pd.DataFrame([row], columns=COLUMNS)
        frame.to_csv(results, mode="a", header=not results.exists(), index=False)
        print(f"{table['name']:40s} {strategy:16s} built {final.strategy:16s} val {val:.4f} "
              f"test {row['test_score']:.4f} {seconds:6.1f} s", flush=True)


def report(results: Path) -> str:
    """Per strategy against refit, paired over (dataset, seed): mean test score, mean difference ± paired
    standard error, wins / ties / losses with a two-sided sign test, validation − test gap, finish seconds."""
    frame = pd.read_csv(results)
    wide = frame.pivot_table(index=["dataset", "seed"], columns="strategy", values="test_score")
    wide = wide.dropna()
    gap = (frame["val_score"] - frame["test_score"]).groupby(frame["strategy"]).mean()
    seconds = frame.groupby("strategy")["final_seconds"].median()
    built = frame[frame["built"] != frame["strategy"]].groupby("strategy").size()
    lines = [f"{len(wide)} (table, seed) pairs; differences against `refit`, paired.", "",
             "| final model | mean test | Δ vs refit ± paired SE | wins / ties / losses | sign test p | "
             "val − test gap | median finish s | fell back |", "|---|---|---|---|---|---|---|---|"]
    for strategy in wide.columns:
        diff = wide[strategy] - wide["refit"]
        wins, losses = int((diff > 1e-9).sum()), int((diff < -1e-9).sum())
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        lines.append(f"| {strategy} | {wide[strategy].mean():.4f} | {diff.mean():+.4f} ± {se:.4f} | "
                     f"{wins} / {len(diff) - wins - losses} / {losses} | {p:.2f} | {gap.get(strategy, np.nan):+.4f} | "
                     f"{seconds.get(strategy, np.nan):.1f} | {int(built.get(strategy, 0))} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--tables", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--shard", type=shard_spec, default=(0, 1))
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--write", type=Path, default=None, help="also write the report into this docs file")
    args = parser.parse_args(argv)
    if not args.report_only:
        corpus = pd.read_csv(ROOT / "automl_engine" / "knowledge" / "corpus.csv")
        tables = select_tables(corpus, args.tables)
        shard, shards = args.shard
        done = set()
        if args.results.exists():
            old = pd.read_csv(args.results)
            done = {(d, int(s), g) for d, s, g in old[["dataset", "seed", "strategy"]].itertuples(index=False)}
        args.results.parent.mkdir(parents=True, exist_ok=True)
        for position, table in tables.iterrows():
            if position % shards != shard:
                continue
            for seed in args.seeds:
                try:
                    run_table(table, seed, args.budget, done, args.results)
                except Exception as exc:  # noqa: BLE001 - one table's failure must not end the run
                    print(f"{table['name']}: {type(exc).__name__}: {exc}", flush=True)
    if args.results.exists():
        frame = pd.read_csv(args.results)
        conditions = (f"{frame['dataset'].nunique()} tables, seeds {sorted(frame['seed'].unique().tolist())}, "
                      f"load average before each search {frame['load_before'].min():.1f}–"
                      f"{frame['load_before'].max():.1f}")
        command = "python benchmarks/final_model.py " + " ".join(argv if argv is not None else sys.argv[1:])
        publish(report(args.results), args.write, "final-model", command, conditions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
